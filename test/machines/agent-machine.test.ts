import t from 'tap';
import { transition } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { agentMachine, type AgentSnapshot } from '../../machines/agent-machine.js';
import type { EffectErrorKind, ObservedCredentials, SyncResult } from '../../machines/agent-events.js';
import { renewalReason, retryDelayMs, shouldRenewCertificate } from '../../machines/timing.js';
import { readStoredStatus } from '../../machines/stored-status.js';
import { projectConnection } from '../../src/status-projection.js';
import { effectDone, effectFailed, runMachine, type MachineEvent } from '../helpers/machine-steps.js';

type Event = MachineEvent;
const TIMING = { syncPeriodMs: 20_000, minimalSyncTimeMs: 10_000, renewalThreshold: 0.3, retryBaseMs: 5_000, retryCapMs: 60_000 };
const M = { directorUrl: 'https://director.test', connectorUrl: 'https://connector-mtls.test' };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const days = (from: number, d: number) => ({ notBefore: at(from), notAfter: new Date(T0 + from * 1000 + d * 86_400_000).toISOString() });

const done = effectDone;
const fail = (id: Parameters<typeof effectFailed>[0], kind: EffectErrorKind, message: string, s: number) =>
  effectFailed(id, { kind, message, at: at(s) });
const config = (s: number, fp?: string, extra: { problem?: string } = {}): Event => ({
  type: 'CONFIG_OBSERVED',
  at: at(s),
  config: { present: true, tokenFingerprint: fp, ...extra },
});
const wake = (s: number): Event => ({ type: 'WAKE', at: at(s) });
const noCr = (s: number) =>
  done('loadState', { at: at(s), cr: null, credentialsSecrets: { clientCertificateSecret: 'missing', caCertificateSecret: 'missing' } });
const connected = (s: number, fp = 'fp1', validity = days(s, 90)) =>
  done('establishConnection', { at: at(s), certificateValidity: validity, managementInfo: M, tokenFingerprint: fp });
const synced = (s: number, result: SyncResult = 'Synchronized', error?: string) =>
  done('synchronize', { at: at(s), result, ...(error === undefined ? {} : { error }) });
const checked = (s: number, credentialsExist = true) => done('checkConnection', { at: at(s), managementInfo: M, credentialsExist });
const renewed = (s: number) => done('renewCertificate', { at: at(s), certificateValidity: days(s, 90), managementInfo: M });

function run(events: Event[], from?: AgentSnapshot): AgentSnapshot {
  return runMachine(events, from ?? { startedAt: at(0), timing: TIMING });
}
const value = (s: AgentSnapshot) => JSON.stringify(s.value);
const IDLE = '{"Certified":{"Connected":"Idle"}}';
const MAINTAINING = '{"Certified":{"Connected":"Maintaining"}}';
const SYNCHRONIZING = '{"Certified":{"Connected":"Synchronizing"}}';
const RENEWING = '{"Certified":"Renewing"}';
const MAINTENANCE_FAILED = '{"Certified":"MaintenanceFailed"}';
/** Where the machine is: its state, and in Idle the last synchronization result its context holds. */
const where = (s: AgentSnapshot) => (value(s) === IDLE ? `Idle/${s.context.lastSyncResult ?? 'none'}` : value(s));
/** connectionStatus.error and synchronizationStatus.error as the CR shows them. */
const connectionError = (s: AgentSnapshot) => projectConnection(s)?.status.connectionStatus.error;
const synchronizationError = (s: AgentSnapshot) => projectConnection(s)?.status.synchronizationStatus?.error;
const synchronizedAt0 = () => run([config(0, 'fp1'), noCr(0), connected(0), synced(0)]);

t.test('renewal decision: the reference vectors of §3.5', async (t) => {
  const now = at(0);
  const base = { now, renewalThreshold: 0.3, minimalSyncTimeMs: 10_000, refreshRequested: false, credentialsExist: true };
  t.equal(
    shouldRenewCertificate({ ...base, certificate: { notBefore: now, notAfter: new Date(T0 + 2000 * 3_600_000).toISOString() } }),
    false,
    '2000 h just issued',
  );
  t.equal(
    renewalReason({ ...base, certificate: { notBefore: now, notAfter: now } }),
    'expires-before-next-sync',
    'notBefore = notAfter = now',
  );
  t.equal(
    renewalReason({ ...base, certificate: { notBefore: '1970-01-01T00:00:00Z', notAfter: new Date(T0 + 3 * 3_600_000).toISOString() } }),
    'below-threshold',
    'issued in 1970, 3 h left',
  );
  t.equal(
    renewalReason({
      ...base,
      minimalSyncTimeMs: 20 * 60_000,
      certificate: { notBefore: now, notAfter: new Date(T0 + 30 * 60_000).toISOString() },
    }),
    'expires-before-next-sync',
    '30 min validity, minimal sync 20 min',
  );
  t.equal(renewalReason({ ...base, refreshRequested: true, certificate: days(0, 90) }), 'refresh-requested');
  t.equal(renewalReason({ ...base, credentialsExist: false, certificate: days(0, 90) }), 'credentials-missing', '§3.6: CA Secret gone');
  t.equal(renewalReason({ ...base, certificate: null }), 'validity-unknown');
});

t.test('retry backoff is exponential from the base and capped', async (t) => {
  t.same(
    [1, 2, 3, 4, 5, 6, 7, 100].map((n) => retryDelayMs(n, TIMING)),
    [5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000, 60_000],
  );
  t.equal(retryDelayMs(0, TIMING), 5_000, 'never below the base');
  // The machine asks for the retry wake-up no sooner than the minimal sync time and lets the adapter add ≤ 25 % jitter.
  let s = run([config(0, 'fp1'), noCr(0)]);
  let ts = 0;
  for (let n = 1; n <= 6; n++) {
    s = run([fail('establishConnection', 'unreachable', 'connect ECONNREFUSED', ts)], s);
    const delay = Date.parse(s.context.wake!.at) - (T0 + ts * 1000);
    t.equal(delay, Math.max(retryDelayMs(n, TIMING), 10_000), `failure ${n}: retry after ${delay} ms`);
    t.ok(s.context.wake!.jitterMs <= delay * 0.25, 'jitter at most a quarter');
    s = run([wake(ts + delay / 1000 - 1)], s);
    t.equal(value(s), '"Unconnected"', 'an early wake-up changes nothing');
    ts += delay / 1000;
    s = run([wake(ts)], s);
    t.equal(value(s), '"Connecting"');
  }
});

t.test('first connection, then a cycle each sync period; WAKE before the deadline is ignored', async (t) => {
  const s = synchronizedAt0();
  t.equal(where(s), 'Idle/Synchronized');
  t.equal(s.context.nextCycleAt, at(20));
  t.equal(where(run([wake(19)], s)), 'Idle/Synchronized');
  const cycle = run([wake(21)], s);
  t.equal(value(cycle), MAINTAINING);
  t.equal(value(run([checked(22)], cycle)), SYNCHRONIZING);
  const [, actions] = transition(agentMachine, s, wake(19));
  t.same(
    actions.map((a) => a.type).filter((x) => x === 'requestWake'),
    [],
    'a stale WAKE does not re-arm anything',
  );
});

t.test('a malformed configuration Secret gives ConnectionFailed with a clear message, not a crash', async (t) => {
  const s = run([
    config(0, 'fp1', { problem: 'key CONNECTOR_URL is missing' }),
    noCr(0),
    fail('establishConnection', 'invalid-config', 'x', 1),
  ]);
  t.equal(value(s), '"Unconnected"');
  t.equal(s.context.connectionState, 'ConnectionFailed');
  t.equal(
    connectionError(s),
    'Failed to retrieve certificate: configuration Secret kyma-system/compass-agent-configuration is unusable: key CONNECTOR_URL is missing; put CONNECTOR_URL and a fresh TOKEN into it',
  );
  const absent = run([
    { type: 'CONFIG_OBSERVED', at: at(0), config: { present: false } },
    noCr(0),
    fail('establishConnection', 'invalid-config', 'x', 1),
  ]);
  t.match(connectionError(absent), /is unusable: it does not exist/);
  const preserve = run([config(0, 'fp1'), noCr(0), fail('establishConnection', 'kubernetes', 'Secret kyma-system/x: forbidden', 1)]);
  t.equal(connectionError(preserve), 'Failed to preserve certificate: Secret kyma-system/x: forbidden');
  // Fixing the Secret with a new token retries at once.
  t.equal(value(run([config(2, 'fp2')], s)), '"Connecting"');
});

t.test('a rejected certificate reconnects with a new, unused token; without one it keeps retrying maintenance', async (t) => {
  const failed = run([wake(21), fail('checkConnection', 'rejected', 'certificate revoked', 21)], synchronizedAt0());
  t.equal(value(failed), MAINTENANCE_FAILED);
  t.equal(failed.context.connectionState, 'ConnectionMaintenanceFailed');
  t.equal(connectionError(failed), 'Error while trying to maintain connection: certificate revoked');
  t.equal(value(run([config(22, 'fp1')], failed)), MAINTENANCE_FAILED, 'the consumed token is not used again');
  t.equal(value(run([config(22, 'fp2')], failed)), '"Connecting"', 'a new token is');
  const unreachable = run([wake(21), fail('checkConnection', 'unreachable', 'ECONNREFUSED', 21), config(22, 'fp2')], synchronizedAt0());
  t.equal(value(unreachable), MAINTENANCE_FAILED, 'an unreachable Compass is not a reason to spend the token');
});

t.test('an expired certificate reconnects with a new token that is already there', async (t) => {
  let s = run([config(0, 'fp1'), noCr(0), connected(0, 'fp1', { notBefore: at(-100), notAfter: at(30) }), synced(0)]);
  s = run([config(1, 'fp2'), wake(21)], s);
  t.equal(value(s), MAINTAINING);
  s = run([checked(21)], s);
  t.equal(value(s), RENEWING, 'renewal is due near expiry');
  s = run([fail('renewCertificate', 'unreachable', 'timeout', 40)], s);
  t.equal(value(s), '"Connecting"', 'expired at 30 s, a fresh token is present: reconnect');
});

t.test('a missing client-certificate Secret with a healthy CR: unused token reconnects, otherwise a clear error and wait', async (t) => {
  const cr = {
    generation: 1,
    resourceVersion: '1',
    spec: { managementInfo: M },
    status: { connectionState: 'Synchronized' },
    consumedTokenFingerprint: 'fp1',
  };
  const loaded = done('loadState', {
    at: at(0),
    cr,
    credentialsSecrets: { clientCertificateSecret: 'missing', caCertificateSecret: 'present' },
  });
  t.equal(value(run([config(0, 'fp2'), loaded])), '"Connecting"');
  const waiting = run([config(0, 'fp1'), loaded]);
  t.equal(value(waiting), MAINTENANCE_FAILED);
  t.match(
    connectionError(waiting),
    /client certificate Secret kyma-system\/cluster-client-certificates is missing; put a new one-time token into the configuration Secret kyma-system\/compass-agent-configuration/,
  );
  t.equal(projectConnection(waiting)?.status.connectionState, 'ConnectionMaintenanceFailed');
  t.equal(value(run([config(5, 'fp3')], waiting)), '"Connecting"', 'the new token is picked up without a restart');
});

t.test('a restart resumes with the management info the agent stored beside its key, never with the CR copy', async (t) => {
  const patched = { directorUrl: 'https://elsewhere.test/director/graphql', connectorUrl: 'https://elsewhere.test/connector/graphql' };
  const present: ObservedCredentials = {
    clientCertificateSecret: 'present',
    caCertificateSecret: 'present',
    certificateValidity: days(0, 90),
  };
  const cr = {
    generation: 3,
    resourceVersion: '3',
    spec: { managementInfo: patched },
    status: { connectionState: 'Synchronized' },
    consumedTokenFingerprint: 'fp1',
  };
  const resumed = run([config(0, 'fp1'), done('loadState', { at: at(0), cr, credentialsSecrets: present, managementInfo: M })]);
  t.equal(where(resumed), 'Idle/Synchronized');
  t.same(resumed.context.managementInfo, M, 'the stored URLs, not the edited CR');
  t.same(projectConnection(run([wake(21), checked(21)], resumed))?.spec.managementInfo, M, 'and the CR copy is written back from them');

  // A cluster left by the Go agent: a certificate, no stored URLs, the URLs only in the CR.
  const goAgent = run([
    config(0, 'fp-go'),
    done('loadState', { at: at(0), cr: { ...cr, spec: { managementInfo: M } }, credentialsSecrets: present, managementInfo: null }),
  ]);
  t.equal(value(goAgent), '"Connecting"', 'the token flow, not the CR URLs');
  t.equal(goAgent.context.managementInfo, null);
  const refused = run([fail('establishConnection', 'rejected', 'Failed to authenticate with one time token', 1)], goAgent);
  t.match(
    connectionError(refused),
    /^Failed to retrieve certificate: Failed to authenticate with one time token; the certificate in Secret kyma-system\/cluster-client-certificates was not resumed: that Secret holds no management info written by this agent \(a cluster left by the Go agent/,
  );
  t.match(connectionError(refused), /put a fresh one-time token into Secret kyma-system\/compass-agent-configuration$/);
  const reconnected = run([config(2, 'fp-fresh'), connected(2, 'fp-fresh')], refused);
  t.equal(value(reconnected), SYNCHRONIZING);
  t.equal(reconnected.context.untrustedResume, false, 'the note goes with the failure it explained');
  t.equal(connectionError(reconnected), undefined);
  t.same(reconnected.context.managementInfo, M, 'the URLs now come from the Connector');
  const noCrAtAll = run([config(0, 'fp1'), done('loadState', { at: at(0), cr: null, credentialsSecrets: present, managementInfo: null })]);
  t.equal(noCrAtAll.context.untrustedResume, false, 'no note when there was no CR to distrust');

  // Event logs recorded before the agent stored the URLs carry no managementInfo: they replay as they ran, from the CR.
  const legacy = run([config(0, 'fp1'), done('loadState', { at: at(0), cr, credentialsSecrets: present })]);
  t.equal(where(legacy), 'Idle/Synchronized');
  t.same(legacy.context.managementInfo, patched);
});

t.test('maintenance results are kept when the sync of that cycle is rate limited', async (t) => {
  // The last sync attempt ended at 24 s (it took 3 s); a refresh request makes the next cycle start at 31 s.
  let s = run([wake(21), checked(21), synced(24)], synchronizedAt0());
  s = run(
    [
      {
        type: 'CONNECTION_CR_OBSERVED',
        at: at(25),
        cr: { generation: 2, resourceVersion: '2', spec: { managementInfo: M, refreshCredentialsNow: true } },
      },
    ],
    s,
  );
  t.equal(s.context.nextCycleAt, at(31), 'early, but the minimal sync time after the last cycle');
  s = run([wake(31), checked(31), renewed(32)], s);
  t.equal(where(s), 'Idle/Synchronized', 'sync skipped: only 8 s since the last attempt');
  const projection = projectConnection(s)!;
  t.equal(projection.status.connectionStatus.renewed, '2026-01-01T00:00:32Z', 'the renewal is kept');
  t.equal(projection.status.connectionStatus.lastSync, '2026-01-01T00:00:31Z', 'and the maintenance time');
  t.equal(projection.spec.refreshCredentialsNow, false, 'and the consumed flag');
  t.equal(s.context.nextCycleAt, at(52));
});

t.test('resyncNow brings the cycle forward but never faster than the minimal sync time, even when syncs fail', async (t) => {
  let s = synchronizedAt0();
  const starts: number[] = [];
  for (let g = 2; g < 6; g++) {
    s = run(
      [
        {
          type: 'CONNECTION_CR_OBSERVED',
          at: s.context.now,
          cr: { generation: g, resourceVersion: String(g), spec: { managementInfo: M, resyncNow: true } },
        },
      ],
      s,
    );
    const due = Date.parse(s.context.nextCycleAt!);
    starts.push(due);
    s = run([wake((due - T0) / 1000), checked((due - T0) / 1000), synced((due - T0) / 1000, 'SynchronizationFailed', 'Director down')], s);
    t.equal(where(s), 'Idle/SynchronizationFailed');
  }
  for (let i = 1; i < starts.length; i++) t.ok(starts[i] - starts[i - 1] >= 10_000, 'cycles at least the minimal sync time apart');
  t.equal(projectConnection(s)?.spec.resyncNow, false, 'the consumed flag is written back');
  const echo = run(
    [
      {
        type: 'CONNECTION_CR_OBSERVED',
        at: s.context.now,
        cr: { generation: 5, resourceVersion: 'x', spec: { managementInfo: M, resyncNow: true } },
      },
    ],
    s,
  );
  t.equal(echo.context.resync.requested, false, 'a stale echo of an old generation does not trigger again');
});

t.test('a CR without status and with only management info resumes without errors', async (t) => {
  const cr = { generation: 1, resourceVersion: '1', spec: { managementInfo: M } };
  const s = run([
    done('loadState', { at: at(0), cr, credentialsSecrets: { clientCertificateSecret: 'present', caCertificateSecret: 'present' } }),
  ]);
  t.equal(where(s), 'Idle/none');
  t.equal(projectConnection(s), null, 'nothing to write until a cycle has run');
  const after = run([wake(21), checked(21)], s);
  t.equal(value(after), RENEWING, 'unknown validity: renew to learn it');
  t.same(readStoredStatus(undefined), { connectionState: undefined, connection: null, synchronization: null, certificate: null });
  t.same(
    readStoredStatus({ connectionState: 'Bogus', connectionStatus: 'x', synchronizationStatus: { lastAttempt: 5 } }).synchronization,
    {},
  );
  const user = run([
    done('loadState', {
      at: at(0),
      cr: { generation: 1, resourceVersion: '1', spec: {} },
      credentialsSecrets: { clientCertificateSecret: 'present', caCertificateSecret: 'present' },
    }),
  ]);
  t.equal(value(user), '"Connecting"', 'a user-made CR without management info connects with the token');
});

t.test('deleting the CR reconnects from any connected state', async (t) => {
  const del = { type: 'CONNECTION_CR_DELETED', at: at(5) } as Event;
  t.equal(value(run([del], synchronizedAt0())), '"Connecting"');
  t.equal(value(run([wake(21), checked(21, false), del], synchronizedAt0())), '"Connecting"', 'from Renewing');
  t.equal(
    value(run([wake(21), fail('checkConnection', 'unreachable', 'x', 21), del], synchronizedAt0())),
    '"Connecting"',
    'from MaintenanceFailed',
  );
});

t.test('a missing CA Secret reported by the watch brings the renewal forward', async (t) => {
  let s = synchronizedAt0();
  s = run(
    [{ type: 'CREDENTIALS_OBSERVED', at: at(2), secrets: { clientCertificateSecret: 'present', caCertificateSecret: 'missing' } }],
    s,
  );
  t.equal(s.context.nextCycleAt, at(10));
  s = run([wake(10), checked(10, true)], s);
  t.equal(value(s), RENEWING);
  s = run([renewed(11)], s);
  t.equal(s.context.credentialsSecrets?.caCertificateSecret, 'present');
});

t.test('loadState failing retries start-up with backoff', async (t) => {
  let s = run([fail('loadState', 'kubernetes', 'API server unreachable', 0)]);
  t.equal(value(s), '"StartFailed"');
  s = run([wake(9)], s);
  t.equal(value(s), '"StartFailed"');
  t.equal(value(run([wake(10)], s)), '"Starting"');
});

t.test('sync outcomes map to states and to the reference timestamp semantics', async (t) => {
  const base = synchronizedAt0();
  const cycle = (result: SyncResult, error?: string) => run([wake(21), checked(21), synced(22, result, error)], base);
  const rf = cycle('ResourceApplicationFailed', 'duplicate name');
  t.equal(where(rf), 'Idle/ResourceApplicationFailed');
  t.same(rf.context.synchronization, { lastAttempt: at(22), lastSuccessfulFetch: at(22) });
  t.equal(synchronizationError(rf), 'Failed to apply configuration: duplicate name');
  const md = cycle('MetadataUpdateFailed', 'label mutation failed');
  t.equal(synchronizationError(md), 'Failed to reconcile Runtime labels with proper URLs: label mutation failed');
  const sf = cycle('SynchronizationFailed', 'Failed to read Runtime config: key RUNTIME_ID is missing');
  t.same(
    sf.context.synchronization,
    { lastAttempt: at(22), lastSuccessfulFetch: at(0), lastSuccessfulApplication: at(0) },
    'a fetch failure keeps the older success timestamps',
  );
  t.equal(
    synchronizationError(sf),
    'Failed to read Runtime config: key RUNTIME_ID is missing',
    'a Runtime config problem keeps its own text',
  );
  const crash = run([wake(21), checked(21), fail('synchronize', 'internal', 'boom', 22)], base);
  t.equal(synchronizationError(crash), 'Failed to fetch configuration: boom');
});

t.test('every state is reachable over the event vocabulary (shortest paths)', async (t) => {
  const events: Event[] = [
    config(0, 'fp1'),
    config(0, 'fp2'),
    noCr(0),
    done('loadState', {
      at: at(0),
      cr: { generation: 1, resourceVersion: '1', spec: { managementInfo: M }, status: { connectionState: 'Synchronized' } },
      credentialsSecrets: { clientCertificateSecret: 'present', caCertificateSecret: 'present', certificateValidity: days(0, 90) },
    }),
    done('loadState', {
      at: at(0),
      cr: { generation: 1, resourceVersion: '1', spec: { managementInfo: M } },
      credentialsSecrets: { clientCertificateSecret: 'present', caCertificateSecret: 'present' },
    }),
    fail('loadState', 'kubernetes', 'x', 0),
    connected(0),
    fail('establishConnection', 'rejected', 'x', 0),
    checked(0),
    checked(0, false),
    fail('checkConnection', 'unreachable', 'x', 0),
    renewed(0),
    fail('renewCertificate', 'unreachable', 'x', 0),
    synced(0),
    synced(0, 'SynchronizationFailed', 'x'),
    synced(0, 'ResourceApplicationFailed', 'x'),
    synced(0, 'MetadataUpdateFailed', 'x'),
    wake(100_000),
    { type: 'CONNECTION_CR_DELETED', at: at(0) },
  ];
  const paths = getShortestPaths(agentMachine, {
    input: { startedAt: at(0), timing: TIMING },
    events,
    // Idle is one state; what it rests on (the last synchronization result) is context, told apart here.
    serializeState: (s) => where(s),
  });
  const reached = new Set(paths.map((p) => where(p.state)));
  const leaves = ['"Starting"', '"StartFailed"', '"Unconnected"', '"Connecting"', RENEWING, MAINTENANCE_FAILED, MAINTAINING, SYNCHRONIZING];
  const idle = ['none', 'Synchronized', 'SynchronizationFailed', 'ResourceApplicationFailed', 'MetadataUpdateFailed'].map(
    (result) => `Idle/${result}`,
  );
  for (const leaf of [...leaves, ...idle]) t.ok(reached.has(leaf), `${leaf} is reachable`);
});
