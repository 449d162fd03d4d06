import t from 'tap';
import { initialTransition, transition, type EventFromLogic } from 'xstate';
import { agentMachine, type AgentMachine, type AgentSnapshot } from '../../machines/agent-machine.js';
import type { EffectErrorKind, SyncResult } from '../../machines/agent-events.js';
import type { EffectId } from '../../machines/effect-boundary.js';
import { effectDone, effectFailed } from '../helpers/machine-steps.js';
import { projectConnection, toRfc3339Seconds } from '../../src/status-projection.js';
import { ManualClock, systemClock } from '../../adapters/clock/clock.js';
import { createWakeScheduler } from '../../adapters/clock/wake-scheduler.js';

type Event = EventFromLogic<AgentMachine>;
const M = { directorUrl: 'https://director.test', connectorUrl: 'https://connector-mtls.test' };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000 + 250).toISOString();
const done = effectDone;
const fail = (id: EffectId, kind: EffectErrorKind, message: string, s: number) => effectFailed(id, { kind, message, at: at(s) });
const validity = { notBefore: at(0), notAfter: at(90 * 86_400) };
function run(events: Event[]): AgentSnapshot {
  let [s] = initialTransition(agentMachine, { startedAt: at(0), timing: { syncPeriodMs: 20_000, minimalSyncTimeMs: 10_000 } });
  for (const e of events) [s] = transition(agentMachine, s, e);
  return s;
}
const start = [
  { type: 'CONFIG_OBSERVED', at: at(0), config: { present: true, tokenFingerprint: 'fp1' } } as Event,
  done('loadState', { at: at(0), cr: null, credentialsSecrets: { clientCertificateSecret: 'missing', caCertificateSecret: 'missing' } }),
];
const connect = done('establishConnection', { at: at(1), certificateValidity: validity, managementInfo: M, tokenFingerprint: 'fp1' });
const cycle = [{ type: 'WAKE', at: at(30) } as Event, done('checkConnection', { at: at(30), managementInfo: M, credentialsExist: true })];

t.test('the state table: machine state → connectionState', async (t) => {
  t.equal(projectConnection(run(start)), null, 'Connecting for the first time: nothing to report yet');
  const failed = run([...start, fail('establishConnection', 'unreachable', 'ECONNREFUSED', 1)]);
  t.equal(projectConnection(failed)?.status.connectionState, 'ConnectionFailed');
  t.strictSame(
    projectConnection(failed)?.status.connectionStatus.certificateStatus,
    { acquired: null, notBefore: null, notAfter: null },
    'no certificate yet: certificateStatus (required by the CRD) with null timestamps, as the Go agent writes it',
  );
  t.same(projectConnection(failed)?.status.conditions[0], {
    type: 'Connected',
    status: 'False',
    reason: 'ConnectionFailed',
    message: 'Failed to retrieve certificate: ECONNREFUSED',
    lastTransitionTime: '2026-01-01T00:00:01Z',
  });
  t.equal(projectConnection(run([...start, connect]))?.status.connectionState, 'Connected', 'Synchronizing right after connecting');
  for (const result of [
    'Synchronized',
    'SynchronizationFailed',
    'ResourceApplicationFailed',
    'MetadataUpdateFailed',
  ] satisfies SyncResult[]) {
    const s = run([...start, connect, done('synchronize', { at: at(2), result, error: 'x' })]);
    t.equal(projectConnection(s)?.status.connectionState, result);
    t.equal(projectConnection(s)?.status.conditions.find((c) => c.type === 'Synchronized')?.reason, result);
    // Maintaining and Renewing keep the previous state until they end.
    const maintaining = run([...start, connect, done('synchronize', { at: at(2), result, error: 'x' }), { type: 'WAKE', at: at(30) }]);
    t.equal(JSON.stringify(maintaining.value), '{"Certified":{"Connected":"Maintaining"}}');
    t.equal(projectConnection(maintaining)?.status.connectionState, result);
  }
  const mf = run([
    ...start,
    connect,
    done('synchronize', { at: at(2), result: 'Synchronized' }),
    { type: 'WAKE', at: at(30) },
    fail('checkConnection', 'rejected', 'revoked', 30),
  ]);
  const p = projectConnection(mf)!;
  t.equal(p.status.connectionState, 'ConnectionMaintenanceFailed');
  t.equal(p.status.connectionStatus.error, 'Error while trying to maintain connection: revoked');
  t.same(
    p.status.conditions.find((c) => c.type === 'CertificateValid'),
    {
      type: 'CertificateValid',
      status: 'False',
      reason: 'Rejected',
      message: 'Compass refuses the client certificate',
      lastTransitionTime: '2026-01-01T00:00:30Z',
    },
    'without previous conditions a condition dates from the event that led to it (conditions-transitions.test.ts pins the rest)',
  );
  t.equal(p.status.synchronizationStatus?.lastSuccessfulApplication, '2026-01-01T00:00:02Z', 'sync timestamps are kept');
  // Recovery restores the last sync result until the next sync says otherwise.
  const recovered = run([...start, connect, done('synchronize', { at: at(2), result: 'Synchronized' }), ...cycle]);
  t.equal(projectConnection(recovered)?.status.connectionState, 'Synchronized');
});

t.test('timestamps and fields follow the reference (second precision, established = lastSync = lastSuccess)', async (t) => {
  const p = projectConnection(run([...start, connect, done('synchronize', { at: at(2), result: 'Synchronized' })]))!;
  t.same(p.status.connectionStatus, {
    established: '2026-01-01T00:00:01Z',
    lastSync: '2026-01-01T00:00:01Z',
    lastSuccess: '2026-01-01T00:00:01Z',
    certificateStatus: { acquired: '2026-01-01T00:00:01Z', notBefore: '2026-01-01T00:00:00Z', notAfter: '2026-04-01T00:00:00Z' },
  });
  t.same(p.status.synchronizationStatus, {
    lastAttempt: '2026-01-01T00:00:02Z',
    lastSuccessfulFetch: '2026-01-01T00:00:02Z',
    lastSuccessfulApplication: '2026-01-01T00:00:02Z',
  });
  t.same(p.spec, { managementInfo: M }, 'flags the user did not set are not written');
  t.same(p.annotations, { 'compass.kyma-project.io/consumed-token-fingerprint': 'fp1' });
  t.equal(p.status.conditions.find((c) => c.type === 'CertificateValid')?.status, 'True');
  t.equal(toRfc3339Seconds('not a time'), undefined);
  t.equal(toRfc3339Seconds(undefined), undefined);
  const expired = run([
    ...start,
    done('establishConnection', {
      at: at(1),
      certificateValidity: { notBefore: at(0), notAfter: at(5) },
      managementInfo: M,
      tokenFingerprint: 'fp1',
    }),
    done('synchronize', { at: at(9), result: 'Synchronized' }),
  ]);
  t.equal(projectConnection(expired)?.status.conditions.find((c) => c.type === 'CertificateValid')?.reason, 'Expired');
});

t.test('the certificate condition tells expired and not-yet-valid (by the agent clock) before rejected', async (t) => {
  const synced = (notBefore: string, notAfter: string) =>
    run([
      ...start,
      done('establishConnection', { at: at(1), certificateValidity: { notBefore, notAfter }, managementInfo: M, tokenFingerprint: 'fp1' }),
      done('synchronize', { at: at(2), result: 'Synchronized' }),
    ]);
  const refusedAt = (s: number) => [
    { type: 'WAKE', at: at(s) } as Event,
    fail('checkConnection', 'rejected', 'the server refused our client certificate in the TLS handshake', s),
  ];
  const certificate = (s: AgentSnapshot) => projectConnection(s)?.status.conditions.find((c) => c.type === 'CertificateValid');
  const expiring = synced(at(0), at(40));
  let s = expiring;
  for (const e of refusedAt(60)) [s] = transition(agentMachine, s, e);
  t.equal(s.context.certificateRejected, true, 'Compass refused it');
  t.match(
    certificate(s),
    { status: 'False', reason: 'Expired', message: 'The client certificate expired at 2026-01-01T00:00:40Z' },
    'but it expired: that is the reason to tell',
  );
  s = synced(at(0), at(90 * 86_400));
  for (const e of refusedAt(60)) [s] = transition(agentMachine, s, e);
  t.match(certificate(s), { status: 'False', reason: 'Rejected' }, 'a valid certificate that is refused is Rejected');
  const early = synced(at(3600), at(90 * 86_400));
  t.match(certificate(early), { status: 'False', reason: 'NotYetValid' }, 'issued by a clock an hour ahead of ours');
  t.match(certificate(early)?.message, /not valid before 2026-01-01T01:00:00Z by the agent's clock/);
});

t.test('a maintenance failure on a Kubernetes request leaves the Compass connection Unknown, not failed', async (t) => {
  const base = [...start, connect, done('synchronize', { at: at(2), result: 'Synchronized' }), { type: 'WAKE', at: at(30) } as Event];
  const kube = projectConnection(
    run([...base, fail('checkConnection', 'kubernetes-read', 'get Secret kyma-system/x failed before the API server answered', 30)]),
  )!;
  t.equal(kube.status.connectionState, 'ConnectionMaintenanceFailed');
  t.match(
    kube.status.conditions.find((c) => c.type === 'Connected'),
    { status: 'Unknown', reason: 'KubernetesRequestFailed', message: /API server/ },
  );
  const compass = projectConnection(run([...base, fail('checkConnection', 'unreachable', 'ECONNREFUSED', 30)]))!;
  t.match(
    compass.status.conditions.find((c) => c.type === 'Connected'),
    { status: 'False', reason: 'ConnectionMaintenanceFailed' },
  );
});

t.test('the SecureCompassTransport condition names the lab settings in effect', async (t) => {
  const secure = projectConnection(run([...start, connect]))!;
  t.match(
    secure.status.conditions.find((c) => c.type === 'SecureCompassTransport'),
    { status: 'True', reason: 'VerifiedTLS' },
  );
  let [s] = initialTransition(agentMachine, {
    startedAt: at(0),
    insecureCompassSettings: ['APP_SKIP_COMPASS_TLS_VERIFY', 'APP_ALLOW_INSECURE_COMPASS_HTTP'],
  });
  for (const e of [...start, connect]) [s] = transition(agentMachine, s, e);
  t.same(
    projectConnection(s)!.status.conditions.find((c) => c.type === 'SecureCompassTransport'),
    {
      type: 'SecureCompassTransport',
      status: 'False',
      reason: 'InsecureSettings',
      message:
        'APP_SKIP_COMPASS_TLS_VERIFY=true and APP_ALLOW_INSECURE_COMPASS_HTTP=true: the connection to Compass can be read or redirected on the network; for labs only',
      lastTransitionTime: '2026-01-01T00:00:01Z',
    },
  );
});

t.test('the manual clock fires due timers in order; the wake scheduler adds bounded jitter and replaces requests', async (t) => {
  const clock = new ManualClock(T0);
  const fired: string[] = [];
  const a = clock.setTimeout(() => fired.push('a'), 100);
  clock.setTimeout(() => fired.push('b'), 50);
  clock.setTimeout(() => fired.push('c'), 300);
  clock.clearTimeout(a);
  clock.advance(200);
  t.same(fired, ['b']);
  t.equal(clock.pending, 1);
  t.equal(clock.nextDue(), T0 + 300);

  const scheduler = createWakeScheduler({ clock, random: () => 0.999 });
  const wakes: string[] = [];
  scheduler.wake$.subscribe((e) => wakes.push(e.at));
  scheduler.schedule({ at: new Date(T0 + 10_000).toISOString(), jitterMs: 1000 });
  scheduler.schedule({ at: new Date(T0 + 20_000).toISOString(), jitterMs: 1000 });
  t.equal(scheduler.pendingAt, T0 + 20_999, 'the later request replaced the earlier; jitter < jitterMs');
  clock.advance(20_798);
  t.same(wakes, []);
  clock.advance(1);
  t.same(wakes, [new Date(T0 + 20_999).toISOString()]);
  scheduler.schedule({ at: new Date(T0 - 5_000).toISOString(), jitterMs: 0 });
  clock.advance(0);
  t.same(wakes.at(-1), new Date(T0 + 20_999).toISOString(), 'a past deadline fires at once, stamped with the current time');
  t.throws(() => scheduler.schedule({ at: 'soon', jitterMs: 0 }), /invalid time "soon"/);
  scheduler.stop();
  scheduler.schedule({ at: new Date(T0).toISOString(), jitterMs: 0 });
  t.equal(scheduler.pendingAt, null, 'a stopped scheduler schedules nothing');

  const real = await new Promise<number>((resolve) => systemClock.setTimeout(() => resolve(systemClock.now()), 1));
  t.ok(real > 0);
  systemClock.clearTimeout(systemClock.setTimeout(() => t.fail('cleared timer fired'), 1));
});
