// Two replicas as processes (`bin/runtime-agent run`, the built bundle: `npm run build` first), with
// client-go's default durations (15 s lease, 10 s renew deadline, 2 s retry): the second stands by
// without writing anything, and SIGTERM on the leader hands over: it stops its work, releases the
// Lease and exits 0 within 5 s, the standby leads within about 2 s of the release (it watches the
// Lease), and the request log shows that their terms of writing did not overlap. The event log the
// old leader wrote is complete and replays.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replayEventLog } from '../../src/event-replay.js';
import { byIdentity, isLeaseWrite, ms, startCluster, waitFor, workWrites } from '../helpers/replica-processes.js';

t.setTimeout(240_000);

t.test('SIGTERM on the leader: the Lease is released, the standby leads within about 2 s, the old leader exits 0 within 5 s', async (t) => {
  const cluster = await startCluster({ apps: 20 });
  t.teardown(() => cluster.close());
  const { sims } = cluster;
  const state = () => sims.kube.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection')?.status?.connectionState;
  const eventLogFile = join(cluster.info.kube.kubeconfig, '..', 'leader-a.events.jsonl');

  const a = cluster.spawn('a', { APP_EVENT_LOG_FILE: eventLogFile });
  const idA = await waitFor('replica a to log its identity', () => a.identity(), 30_000);
  await waitFor('replica a to hold the Lease', () => cluster.lease()?.holderIdentity === idA, 30_000);
  await waitFor('Synchronized', () => state() === 'Synchronized', 60_000);
  t.match(cluster.lease(), { holderIdentity: idA, leaseDurationSeconds: 15, leaseTransitions: 0 }, "client-go's default lease duration");

  const b = cluster.spawn('b');
  const idB = await waitFor('replica b to log its identity', () => b.identity(), 30_000);
  t.not(idA, idB, 'each process has an identity of its own');
  await waitFor(
    'replica b to read the Lease',
    () => cluster.log().some((e) => byIdentity(idB)(e) && e.resource === 'leases' && e.verb === 'get' && e.status === 200),
    30_000,
  );
  const portB = await waitFor('replica b to serve its probes', () => b.process.healthPort(), 30_000);
  const standby = await fetch(`http://127.0.0.1:${portB}/readyz`);
  t.equal(standby.status, 200, 'a standby that follows the Lease is ready (it must not block the PodDisruptionBudget)');
  t.match(await standby.text(), new RegExp(`standby: ${idA} leads`));
  const metricsB = await (await fetch(`http://127.0.0.1:${portB}/metrics`)).text();
  t.match(metricsB, /runtime_agent_leader\{lease="kyma-system\/compass-runtime-agent"\} 0/, 'the standby reports itself as not leading');
  // A few renewals of a while b watches.
  await new Promise((r) => setTimeout(r, 5_000));
  t.same(
    cluster.log().filter((e) => byIdentity(idB)(e) && e.verb !== 'get' && e.verb !== 'list' && e.verb !== 'watch'),
    [],
    'the standby sent no write at all',
  );

  const killedAt = Date.now();
  a.process.kill('SIGTERM');
  const exit = await a.process.exited;
  t.equal(exit.code, 0, 'the old leader exits 0');
  t.ok(exit.at - killedAt < 5_000, `within 5 s of SIGTERM (${exit.at - killedAt} ms)`);

  await waitFor('replica b to hold the Lease', () => cluster.lease()?.holderIdentity === idB, 30_000);
  const log = cluster.log();
  const release = log.filter((e) => byIdentity(idA)(e) && isLeaseWrite(e)).at(-1)!;
  const acquire = log.find((e) => byIdentity(idB)(e) && isLeaseWrite(e))!;
  t.ok(release && acquire && acquire.index > release.index, 'a released the Lease, then b acquired it');
  const handover = ms(acquire) - ms(release);
  t.ok(handover <= 2_000, `b led ${handover} ms after the release (about 2 s at most; the lease duration is 15 s)`);
  t.match(cluster.lease(), { holderIdentity: idB, leaseDurationSeconds: 15, leaseTransitions: 1 });
  t.match(a.process.output(), /"msg":"leader election: released the Lease"/);

  // b works: a new application in Compass appears as an Application written by b.
  const [added] = sims.compass.control.generateApplications(1, 4242);
  await waitFor(
    'b to create the new Application',
    () => workWrites(cluster.log(), idB).some((e) => e.resource === 'applications' && e.verb === 'create'),
    60_000,
  );
  t.ok(added, 'Compass assigned one more application');
  const writesA = workWrites(cluster.log(), idA);
  const writesB = workWrites(cluster.log(), idB);
  t.ok(writesA.length > 0 && writesB.length > 0, `both wrote in their terms (a: ${writesA.length}, b: ${writesB.length})`);
  t.ok(writesA.at(-1)!.index < release.index, 'a wrote nothing after it released the Lease');
  t.ok(writesB[0].index > acquire.index, 'b wrote nothing before it held the Lease');
  t.ok(writesA.at(-1)!.index < writesB[0].index, 'no two replicas wrote in overlapping terms');
  t.equal(state(), 'Synchronized');

  // The event log a wrote before it exited is whole: it replays to the state it recorded last.
  const text = readFileSync(eventLogFile, 'utf8');
  const report = replayEventLog(text);
  t.equal(report.divergence, null, 'the event log replays without divergence');
  t.ok(report.events > 5, `${report.events} events recorded`);
  t.ok(text.endsWith('\n'), 'its last line is complete');
});
