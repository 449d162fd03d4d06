// Acceptance of Kubernetes Events and conditions, against the simulator with schema validation and
// RBAC on (the agent runs as its ServiceAccount, installed with deploy/, leader election on): a
// connect, a renewal, a revoke and a reconnect are told as events.k8s.io/v1 Events on the
// CompassConnection that `kubectl describe compassconnection` shows (it reads them through core/v1,
// as from a real API server); repeats aggregate into a series; no Event carries a secret; condition
// times move when a status flips and not otherwise; /readyz is false while the certificate is
// refused.
import t from 'tap';
import { startHarness, type Harness } from '../helpers/agent-harness.js';
import { clientCertificate } from '../helpers/connection-checks.js';
import { startHealthServer } from '../../adapters/http/health-server.js';

t.setTimeout(240_000);

type Condition = { type: string; status: string; reason: string; lastTransitionTime?: string; observedGeneration?: number };
const ELECTION = {
  APP_LEADER_ELECTION: 'true',
  APP_LEADER_ELECTION_LEASE_DURATION: '3s',
  APP_LEADER_ELECTION_RENEW_DEADLINE: '2s',
  APP_LEADER_ELECTION_RETRY_PERIOD: '500ms',
};

function conditions(h: Harness): Record<string, Condition> {
  const list = (h.connection()?.status?.conditions ?? []) as Condition[];
  return Object.fromEntries(list.map((c) => [c.type, c]));
}

interface EventView {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string };
  reason: string;
  note?: string;
  message?: string;
  type: string;
  series?: { count: number };
  regarding?: { kind: string; name: string; uid: string };
  involvedObject?: { kind: string; name: string; uid: string };
  reportingController?: string;
  reportingComponent?: string;
}

t.test(
  'connect, renew, revoke, reconnect: kubectl describe tells it; condition times move only on change; /readyz follows a refused certificate',
  async (t) => {
    const h = await startHarness({ apps: 2 });
    t.teardown(() => h.close());
    const token = await h.writeConfigSecret();
    const agent = h.startAgent(ELECTION);
    await h.waitForState('Synchronized', 30_000);
    t.equal(agent.leading(), true, 'the only replica leads');
    const connected = conditions(h);
    t.match(connected, {
      Connected: { status: 'True', reason: 'Connected' },
      CertificateValid: { status: 'True', reason: 'Valid' },
      Synchronized: { status: 'True', reason: 'Synchronized' },
      SecureCompassTransport: { status: 'True', reason: 'VerifiedTLS' },
      Ready: { status: 'True', reason: 'ConnectedAndSynchronized' },
    });
    const generation = h.connection()!.metadata.generation;
    for (const c of Object.values(connected)) t.equal(c.observedGeneration, generation, `${c.type} carries observedGeneration`);

    // Cycles that change nothing leave every lastTransitionTime where it was.
    await h.waitForSyncCycles(3, 30_000);
    await new Promise((r) => setTimeout(r, 1_100)); // times have second precision
    await h.waitForSyncCycles(1, 30_000);
    const later = conditions(h);
    for (const type of Object.keys(connected))
      t.equal(later[type].lastTransitionTime, connected[type].lastTransitionTime, `${type}: lastTransitionTime stays over cycles`);
    t.not(h.connection()!.status!.connectionStatus!.lastSync, undefined);

    // A renewal on request.
    await h.kubectl('patch', 'compassconnection', 'compass-connection', '--type', 'merge', '-p', '{"spec":{"refreshCredentialsNow":true}}');
    await h.waitFor('the renewal', () => h.connection()?.status?.connectionStatus?.renewed);

    // A revoke: Compass refuses the certificate; the agent retries (repeats aggregate into a series).
    const ready = agent.readiness();
    t.equal(ready.ok, true, `/readyz before the revoke: ${ready.detail}`);
    h.sims.compass.control.revokeCertificate(clientCertificate(h)!.sha256);
    await h.waitForState('ConnectionMaintenanceFailed', 30_000);
    const failures = () => agent.eventLog.entries().filter((e) => e.event.type === 'xstate.error.actor.checkConnection').length;
    await h.waitFor('three refused maintenance attempts', () => failures() >= 3, 30_000);
    const refused = agent.readiness();
    t.equal(refused.ok, false, 'not ready while the certificate is refused, though it has not expired');
    t.match(refused.detail, /Compass refuses the client certificate \(revoked or unknown to it\)/);
    const health = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      liveness: () => agent.liveness(),
      readiness: () => agent.readiness(),
      registry: agent.metrics.registry,
    });
    t.teardown(() => health.close());
    const readyz = await fetch(`${health.url}/readyz`);
    t.equal(readyz.status, 503, '/readyz answers 503');
    t.match(await readyz.text(), /^failing: Compass refuses the client certificate/);
    t.equal((await fetch(`${health.url}/healthz`)).status, 200, 'while /healthz stays 200: the agent is alive and retrying');
    const revoked = conditions(h);
    t.match(revoked, {
      Connected: { status: 'False', reason: 'ConnectionMaintenanceFailed' },
      CertificateValid: { status: 'False', reason: 'Rejected' },
      Ready: { status: 'False', reason: 'ConnectionMaintenanceFailed' },
      SecureCompassTransport: { status: 'True' },
    });
    for (const type of ['Connected', 'CertificateValid', 'Ready'])
      t.not(revoked[type].lastTransitionTime, connected[type].lastTransitionTime, `${type} flipped: its lastTransitionTime moved`);
    t.equal(
      revoked.SecureCompassTransport.lastTransitionTime,
      connected.SecureCompassTransport.lastTransitionTime,
      'SecureCompassTransport did not flip: its lastTransitionTime stayed',
    );
    // A synchronization may or may not have run with the revoked certificate before maintenance found
    // it refused (timing): either way its condition's time follows its status.
    if (revoked.Synchronized.status === connected.Synchronized.status) {
      t.equal(
        revoked.Synchronized.lastTransitionTime,
        connected.Synchronized.lastTransitionTime,
        'Synchronized did not flip: its lastTransitionTime stayed',
      );
    } else {
      t.not(
        revoked.Synchronized.lastTransitionTime,
        connected.Synchronized.lastTransitionTime,
        'Synchronized flipped (a sync ran with the revoked certificate): its lastTransitionTime moved',
      );
    }
    const flippedAt = revoked.Connected.lastTransitionTime;
    await h.waitFor('two more refused attempts', () => failures() >= 5, 30_000);
    t.equal(conditions(h).Connected.lastTransitionTime, flippedAt, 'failing again and again is no transition');

    // A reconnect with a fresh token.
    const fresh = await h.writeConfigSecret();
    await h.waitFor(
      'reconnected and Synchronized',
      () => {
        const cr = h.connection();
        return cr?.status?.connectionState === 'Synchronized' && conditions(h).CertificateValid?.status === 'True';
      },
      30_000,
    );
    t.equal(agent.readiness().ok, true, 'ready again with the new certificate');
    const back = conditions(h);
    t.match(back, { Connected: { status: 'True' }, CertificateValid: { status: 'True', reason: 'Valid' }, Ready: { status: 'True' } });
    t.ok(Date.parse(back.Connected.lastTransitionTime!) >= Date.parse(flippedAt!), 'Connected moved again when it flipped back');
    t.equal(
      back.SecureCompassTransport.lastTransitionTime,
      connected.SecureCompassTransport.lastTransitionTime,
      'a condition that never flipped kept its time throughout',
    );

    // Events, through events.k8s.io/v1 as the agent wrote them ...
    const uid = (
      h.sims.kube.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection') as { metadata: { uid: string } }
    ).metadata.uid;
    const events = await h.waitFor(
      'the Events of the reconnect',
      () => {
        const all = h.sims.kube.list('events.k8s.io/v1', 'Event', 'default') as EventView[];
        return all.filter((e) => e.reason === 'ConnectionEstablished').length >= 2 ? all : undefined;
      },
      30_000,
    );
    const reasons = events.map((e) => e.reason);
    for (const reason of [
      'LeaderElected',
      'ConnectionEstablished',
      'ApplicationsSynchronized',
      'CertificateRenewed',
      'ConnectionMaintenanceFailed',
      'Synchronized',
    ]) {
      t.ok(reasons.includes(reason), `an Event ${reason}`);
    }
    for (const e of events) {
      t.match(e, {
        type: /^(Normal|Warning)$/,
        reportingController: 'kyma-project.io/compass-runtime-agent',
        regarding: { kind: 'CompassConnection', name: 'compass-connection', uid },
      });
    }
    const renewal = events.find((e) => e.reason === 'CertificateRenewed')!;
    t.match(
      renewal.note,
      /^Client certificate renewed, reason: requested \(spec\.refreshCredentialsNow\); valid until \d{4}-/,
      'the renewal says why',
    );
    const failure = events.filter((e) => e.reason === 'ConnectionMaintenanceFailed');
    t.equal(failure.length, 1, 'the repeated refusals are one Event ...', { notes: failure.map((e) => e.note) });
    t.ok((failure[0].series?.count ?? 0) >= 2, `... with a series (count ${failure[0].series?.count})`);
    t.match(failure[0], { type: 'Warning', note: /Failed to authenticate/ });
    t.equal(
      events.filter((e) => e.reason === 'ApplicationsSynchronized').length,
      1,
      'one Event per cycle that changed Applications, with the counts',
    );
    t.match(
      events.find((e) => e.reason === 'ApplicationsSynchronized')!.note,
      /^Applications: 2 created, 0 updated, 0 deleted, 0 failed, 0 unchanged$/,
    );

    // ... and the same objects through core/v1, which kubectl describe reads.
    const core = h.sims.kube.list('v1', 'Event', 'default') as EventView[];
    t.same(
      core.map((e) => [e.metadata.name, e.metadata.uid, e.metadata.resourceVersion]).sort(),
      events.map((e) => [e.metadata.name, e.metadata.uid, e.metadata.resourceVersion]).sort(),
      'the same Events (name, uid, resourceVersion) in both APIs',
    );
    t.match(
      core.find((e) => e.reason === 'CertificateRenewed'),
      {
        message: renewal.note,
        involvedObject: { kind: 'CompassConnection', uid },
        reportingComponent: 'kyma-project.io/compass-runtime-agent',
      },
    );

    const described = await h.kubectl('describe', 'compassconnection', 'compass-connection');
    if (process.env.SHOW_DESCRIBE) console.error(described);
    const section = described.slice(described.indexOf('Events:'));
    t.match(section, /Type\s+Reason\s+Age\s+From\s+Message/, 'kubectl describe has an Events section');
    for (const reason of ['LeaderElected', 'ConnectionEstablished', 'CertificateRenewed', 'ConnectionMaintenanceFailed', 'Synchronized']) {
      t.match(section, new RegExp(`(Normal|Warning)\\s+${reason}\\s`), `kubectl describe shows ${reason}`);
    }
    t.match(
      section,
      /Warning\s+ConnectionMaintenanceFailed\s+\S+ \(x\d+ over \S+\)\s+kyma-project\.io\/compass-runtime-agent/,
      'the series shows as (xN over T)',
    );
    t.match(described, /Conditions:|Type:\s+Ready/, 'and the conditions');
    const byField = await h.kubectl(
      'get',
      'events',
      '-n',
      'default',
      '--field-selector',
      `involvedObject.kind=CompassConnection,reason=CertificateRenewed`,
      '-o',
      'name',
    );
    t.equal(byField.trim().split('\n').length, 1, 'core field selectors on involvedObject and reason');

    // Never a secret: tokens, keys and certificates stay out of every Event.
    const text = JSON.stringify(events);
    for (const value of [token, fresh]) t.notOk(text.includes(value), 'no one-time token in an Event');
    t.notMatch(text, /BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)|LS0tLS1CRUdJTi/, 'no key or certificate in an Event');

    const metrics = await agent.metrics.registry.metrics();
    t.match(metrics, /runtime_agent_kubernetes_events_total\{outcome="created",reason="ConnectionEstablished"\} 2/);
    t.match(metrics, /runtime_agent_leader\{lease="kyma-system\/compass-runtime-agent"\} 1/);
    const forbidden = h.sims.kube.requestLog.filter((e) => e.status === 403);
    t.same(
      forbidden.map((e) => `${e.verb} ${e.path}`),
      [],
      'deploy/ grants every verb the agent used (Lease, Events)',
    );
  },
);
