// Two replicas as processes (`bin/runtime-agent run`, the built bundle: `npm run build` first) and the
// leader killed with SIGKILL in the middle of a 2,000-application initial sync. From the Kubernetes
// simulator's request log (server time and order, each request tagged with its process's identity):
// the standby took the Lease over not before the lease duration after the dead leader's last
// renewal and not much after it, the two never wrote in overlapping terms, and the sync converged
// with every Application and Secret created exactly once.
//
// With client-go's default durations (15 s lease, 10 s renew deadline, 2 s retry), as deploy/ runs:
// shorter ones would make the test quicker but a leader busy with 2,000 Applications on a loaded
// machine closer to missing its renew deadline.
import t from 'tap';
import { APPLICATION_RESOURCE } from '../helpers/connection-checks.js';
import { byIdentity, isLeaseWrite, isWrite, ms, startCluster, waitFor, workWrites } from '../helpers/replica-processes.js';
import { JITTER_FACTOR } from '../../adapters/kube/leader-election.js';

t.setTimeout(400_000);

const APPS = 2_000;
const LEASE_MS = 15_000;
const RENEW_DEADLINE_MS = 10_000;
const RETRY_MS = 2_000;
t.test(
  'the leader dies (SIGKILL) mid-sync: the standby takes over after the lease duration, terms never overlap, nothing is lost or duplicated',
  async (t) => {
    const cluster = await startCluster({ apps: APPS });
    t.teardown(() => cluster.close());
    const { sims } = cluster;
    // Server-side latency on Application creates (no CPU): the sync of 2,000 takes long enough to be cut in the middle.
    sims.kube.faults.addLatency({ verb: 'create', resource: APPLICATION_RESOURCE, ms: 40 });

    // No APP_LEADER_ELECTION_* durations: the defaults.
    const replicas = [cluster.spawn('one'), cluster.spawn('two')];
    const ids = await Promise.all(replicas.map((r) => waitFor(`replica ${r.name} to log its identity`, () => r.identity(), 60_000)));
    const holder = await waitFor('a replica to hold the Lease', () => cluster.lease()?.holderIdentity || undefined, 60_000);
    const leader = replicas[ids.indexOf(holder)];
    const standby = replicas.find((r) => r !== leader)!;
    const idL = leader.identity()!;
    const idS = standby.identity()!;
    await waitFor(
      'the standby to read the Lease',
      () => cluster.log().some((e) => byIdentity(idS)(e) && e.resource === 'leases' && e.verb === 'get' && e.status === 200),
      60_000,
    );

    const created = (id: string) => workWrites(cluster.log(), id).filter((e) => e.resource === 'applications' && e.verb === 'create');
    await waitFor('the leader to be in the middle of the sync (400 Applications created)', () => created(idL).length >= 400, 180_000, 5);
    leader.process.kill('SIGKILL');
    const killedAt = Date.now();
    const killedIndex = cluster.log().length;
    const createdByLeader = created(idL).length;
    t.ok(createdByLeader < APPS, `killed in the middle: ${createdByLeader} of ${APPS} Applications created`);
    await leader.process.exited;
    t.same(workWrites(cluster.log(), idS), [], 'the standby wrote nothing while the leader lived');

    await waitFor('the standby to hold the Lease', () => cluster.lease()?.holderIdentity === idS, 60_000);
    const log = cluster.log();
    const lastRenewal = log.filter((e) => byIdentity(idL)(e) && isLeaseWrite(e)).at(-1)!;
    const takeover = log.find((e) => byIdentity(idS)(e) && isLeaseWrite(e))!;
    const waited = ms(takeover) - ms(lastRenewal);
    t.ok(
      waited >= LEASE_MS,
      `the standby took over ${waited} ms after the leader's last renewal: not before the lease duration (${LEASE_MS} ms)`,
    );
    const bound = LEASE_MS + 2 * (1 + JITTER_FACTOR) * RETRY_MS + 2_000;
    t.ok(waited <= bound, `and within the lease duration and two jittered tries (${bound} ms)`);
    t.ok(ms(takeover) - killedAt <= bound, `${ms(takeover) - killedAt} ms after the SIGKILL`);
    t.match(cluster.lease(), { holderIdentity: idS, leaseDurationSeconds: LEASE_MS / 1000, leaseTransitions: 1 });

    // Converges: every application assigned in Compass is one Application, written by the two.
    const expected = sims.compass.control
      .applications()
      .map((a) => a.id)
      .sort();
    t.equal(expected.length, APPS);
    const applicationIds = () =>
      sims.kube
        .list('applicationconnector.kyma-project.io/v1alpha1', 'Application')
        .map((a) => a.spec?.compassMetadata?.applicationId as string);
    await waitFor(
      'every Application',
      () =>
        applicationIds().length === APPS &&
        sims.kube.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection')?.status?.connectionState ===
          'Synchronized',
      240_000,
      200,
    );
    t.same(applicationIds().sort(), expected, 'each application of Compass exactly once');

    const final = cluster.log();
    const writesL = workWrites(final, idL);
    const writesS = workWrites(final, idS);
    t.ok(writesL.length > 0 && writesS.length > 0, `both wrote (leader ${writesL.length}, standby ${writesS.length} writes)`);
    t.ok(
      writesL.at(-1)!.index < writesS[0].index,
      'no two processes wrote in overlapping terms: every write of the dead leader comes before the first of the new one',
    );
    t.ok(writesS[0].index > takeover.index, 'the new leader wrote only once it held the Lease');
    t.ok(ms(writesL.at(-1)!) <= ms(lastRenewal) + RENEW_DEADLINE_MS, "the dead leader's writes all fell within its renew deadline");
    t.ok(
      writesL.every((e) => e.index < killedIndex + 64),
      'after the SIGKILL only the requests already on the wire reached the API server',
    );

    // Nothing duplicated: no object was created twice, by one replica or the two.
    const creates = final.filter((e) => isWrite(e) && e.verb === 'create' && (e.resource === 'applications' || e.resource === 'secrets'));
    const names = creates.map((e) => `${e.resource}/${e.namespace ?? ''}/${e.name}`);
    t.equal(new Set(names).size, names.length, `${names.length} creates of Applications and Secrets, none of the same object twice`);
    t.equal(creates.filter((e) => e.resource === 'applications').length, APPS, 'exactly one create per Application');
    // Nothing lost: every Secret an Application names exists.
    const missing: string[] = [];
    for (const app of sims.kube.list('applicationconnector.kyma-project.io/v1alpha1', 'Application')) {
      for (const service of app.spec?.services ?? []) {
        for (const entry of service.entries ?? []) {
          for (const secret of [entry.credentials?.secretName, entry.requestParametersSecretName]) {
            if (secret && !sims.kube.get('v1', 'Secret', secret, 'kyma-system')) missing.push(`${app.metadata.name}: ${secret}`);
          }
        }
      }
    }
    t.same(missing, [], 'every credential Secret an Application names exists');
    t.equal(
      final.filter((e) => isWrite(e) && e.resource === 'applications' && e.verb === 'delete').length,
      0,
      'no Application was deleted on the way',
    );
  },
);
