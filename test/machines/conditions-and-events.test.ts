// Pure: the conditions of the CompassConnection follow the Kubernetes API conventions
// (lastTransitionTime moves when a status flips and only then, observedGeneration on each, CamelCase
// reasons that the README lists, a summary Ready), and each step of the machine tells the Kubernetes
// Events it should (connection, renewal with its cause, failures, Application counts, state changes).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { initialTransition, transition, type EventFromLogic } from 'xstate';
import { agentMachine, type AgentMachine, type AgentSnapshot } from '../../machines/agent-machine.js';
import type { EffectErrorKind, SyncResult, SyncSummary } from '../../machines/agent-events.js';
import type { EffectId } from '../../machines/effect-boundary.js';
import { effectDone, effectFailed } from '../helpers/machine-steps.js';
import { CONDITION_REASONS, projectConnection, type ProjectedCondition } from '../../src/status-projection.js';
import { connectionEventsOf, EVENT_REASONS, renewalCause, type ConnectionEvent } from '../../src/connection-events.js';

type Event = EventFromLogic<AgentMachine>;
const M = { directorUrl: 'https://director.test', connectorUrl: 'https://connector-mtls.test' };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000 + 250).toISOString();
const second = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', 'Z');
const done = effectDone;
const fail = (id: EffectId, kind: EffectErrorKind, message: string, s: number) => effectFailed(id, { kind, message, at: at(s) });
const validity = { notBefore: at(0), notAfter: at(100 * 86_400) };
const start = [
  { type: 'CONFIG_OBSERVED', at: at(0), config: { present: true, tokenFingerprint: 'fp1' } } as Event,
  done('loadState', { at: at(0), cr: null, credentialsSecrets: { clientCertificateSecret: 'missing', caCertificateSecret: 'missing' } }),
];
const connect = done('establishConnection', { at: at(1), certificateValidity: validity, managementInfo: M, tokenFingerprint: 'fp1' });
const synced = (s: number, summary?: SyncSummary) => done('synchronize', { at: at(s), result: 'Synchronized', summary });
const wake = (s: number) => ({ type: 'WAKE', at: at(s) }) as Event;
const checked = (s: number) => done('checkConnection', { at: at(s), managementInfo: M, credentialsExist: true });
const cr = (generation: number, s: number) =>
  ({
    type: 'CONNECTION_CR_OBSERVED',
    at: at(s),
    cr: { generation, resourceVersion: String(generation), spec: { managementInfo: M } },
  }) as Event;

/** Runs the events through the machine as the runtime does: projecting after each step with the last conditions, telling Events. */
function drive(events: Event[], initial?: AgentSnapshot) {
  let s = initial ?? initialTransition(agentMachine, { startedAt: at(0), timing: { syncPeriodMs: 20_000, minimalSyncTimeMs: 10_000 } })[0];
  let conditions: ProjectedCondition[] | undefined;
  const told: ConnectionEvent[] = [];
  const history: ProjectedCondition[][] = [];
  for (const e of events) {
    const before = s.context;
    [s] = transition(agentMachine, s, e);
    told.push(...connectionEventsOf(before, e, s.context));
    const p = projectConnection(s, conditions);
    if (p) {
      conditions = p.status.conditions;
      history.push(conditions);
    }
  }
  const byType = (type: string) => conditions?.find((c) => c.type === type);
  return { s, conditions: conditions ?? [], byType, told, history };
}

t.test('lastTransitionTime moves when a status flips and not otherwise, whatever the message does', async (t) => {
  const cycle = (s: number) => [wake(s), checked(s), synced(s)];
  const healthy = drive([...start, connect, synced(2), ...cycle(30), ...cycle(60)]);
  t.match(
    healthy.byType('Connected'),
    { status: 'True', lastTransitionTime: second(1) },
    'Connected since the connection, not since the last cycle',
  );
  t.match(
    healthy.byType('Synchronized'),
    { status: 'True', lastTransitionTime: second(2) },
    'Synchronized since the first sync, not since the last attempt',
  );
  t.match(healthy.byType('Ready'), { status: 'True', reason: 'ConnectedAndSynchronized', lastTransitionTime: second(2) });

  const failing = drive([
    ...start,
    connect,
    synced(2),
    wake(30),
    fail('checkConnection', 'unreachable', 'ECONNREFUSED', 30),
    wake(40),
    fail('checkConnection', 'unreachable', 'ETIMEDOUT', 40),
  ]);
  t.match(
    failing.byType('Connected'),
    { status: 'False', reason: 'ConnectionMaintenanceFailed', message: /ETIMEDOUT/, lastTransitionTime: second(30) },
    'flipped at the first failure; the second one (another message) is no transition',
  );
  t.match(
    failing.byType('Synchronized'),
    { status: 'True', lastTransitionTime: second(2) },
    'a condition that did not flip keeps its time',
  );
  t.match(failing.byType('Ready'), { status: 'False', reason: 'ConnectionMaintenanceFailed', lastTransitionTime: second(30) });
  t.match(failing.byType('CertificateValid'), { status: 'True', lastTransitionTime: second(1) }, 'unreachable is not a refusal');

  const refused = drive([...start, connect, synced(2), wake(30), fail('checkConnection', 'rejected', 'revoked', 30)]);
  t.match(
    refused.byType('CertificateValid'),
    { status: 'False', reason: 'Rejected', lastTransitionTime: second(30) },
    'the certificate condition flips when Compass refuses it (it used to keep the acquisition time)',
  );

  const recovered = drive([
    ...start,
    connect,
    synced(2),
    wake(30),
    fail('checkConnection', 'unreachable', 'ECONNREFUSED', 30),
    wake(50),
    checked(50),
    synced(51),
  ]);
  t.match(recovered.byType('Connected'), { status: 'True', lastTransitionTime: second(50) }, 'and flips back at the recovery');
  t.match(recovered.byType('Ready'), { status: 'True', lastTransitionTime: second(50) });
});

t.test('without conditions of its own, the projection continues from those stored in the CR (a restart)', async (t) => {
  const stored = [{ type: 'Connected', status: 'True', reason: 'Connected', message: 'x', lastTransitionTime: '2025-12-24T18:00:00Z' }];
  const restart = drive([
    { type: 'CONFIG_OBSERVED', at: at(0), config: { present: true, tokenFingerprint: 'fp1' } },
    done('loadState', {
      at: at(0),
      cr: {
        generation: 4,
        resourceVersion: '9',
        spec: { managementInfo: M },
        status: {
          connectionState: 'Synchronized',
          connectionStatus: { lastSync: at(-100), certificateStatus: validity },
          conditions: stored,
        },
      },
      credentialsSecrets: { clientCertificateSecret: 'present', caCertificateSecret: 'present', certificateValidity: validity },
      managementInfo: M,
    }),
  ]);
  t.match(
    restart.byType('Connected'),
    { status: 'True', lastTransitionTime: '2025-12-24T18:00:00Z', observedGeneration: 4 },
    'the stored time of an unchanged condition is kept',
  );
  t.match(restart.byType('Ready'), { lastTransitionTime: second(0) }, 'a condition the CR did not hold starts now');
  t.same(restart.told, [], 'restoring the stored state tells no Event');
});

t.test('observedGeneration on every condition; Ready summarizes Connected, CertificateValid and Synchronized', async (t) => {
  const { conditions } = drive([...start, cr(3, 0), connect, synced(2)]);
  t.same(
    conditions.map((c) => c.type),
    ['Connected', 'CertificateValid', 'SecureCompassTransport', 'Synchronized', 'Ready'],
  );
  for (const c of conditions) t.equal(c.observedGeneration, 3, `${c.type}: observedGeneration`);
  const first = drive([...start, fail('establishConnection', 'unreachable', 'ECONNREFUSED', 1)]);
  t.match(first.byType('CertificateValid'), { status: 'False', reason: 'NoCertificate' });
  t.match(first.byType('Synchronized'), { status: 'Unknown', reason: 'AwaitingSynchronization' });
  t.match(
    first.byType('Ready'),
    { status: 'False', reason: 'ConnectionFailed', message: /^Connected: Failed to retrieve certificate: ECONNREFUSED/ },
    'False wins over Unknown; the first part that is not True',
  );
  t.notOk(
    first.conditions.some((c) => 'observedGeneration' in c),
    'no generation before the CR was seen',
  );
  const connected = drive([...start, connect]);
  t.match(connected.byType('Ready'), { status: 'Unknown', reason: 'AwaitingSynchronization' }, 'connected, first sync not ended: Unknown');
  const kube = drive([
    ...start,
    connect,
    synced(2),
    wake(30),
    fail('checkConnection', 'kubernetes-read', 'get Secret failed before the API server answered', 30),
  ]);
  t.match(kube.byType('Ready'), { status: 'Unknown', reason: 'KubernetesRequestFailed' });
  const sync = drive([...start, connect, done('synchronize', { at: at(2), result: 'ResourceApplicationFailed', error: 'app x: 500' })]);
  t.match(sync.byType('Ready'), { status: 'False', reason: 'ResourceApplicationFailed' });
});

t.test('every reason is CamelCase, in CONDITION_REASONS and in the README', async (t) => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const seen = new Set<string>();
  const runs = [
    drive([...start, fail('establishConnection', 'unreachable', 'x', 1)]),
    drive([...start, connect]),
    drive([...start, connect, synced(2), wake(30), fail('checkConnection', 'rejected', 'x', 30)]),
    drive([...start, connect, synced(2), wake(30), fail('checkConnection', 'kubernetes', 'x', 30)]),
    drive([
      ...start,
      done('establishConnection', {
        at: at(1),
        certificateValidity: { notBefore: at(0), notAfter: at(5) },
        managementInfo: M,
        tokenFingerprint: 'fp1',
      }),
      synced(9),
    ]),
    drive([
      ...start,
      done('establishConnection', {
        at: at(1),
        certificateValidity: { notBefore: at(3600), notAfter: at(7200) },
        managementInfo: M,
        tokenFingerprint: 'fp1',
      }),
    ]),
    ...(['SynchronizationFailed', 'ResourceApplicationFailed', 'MetadataUpdateFailed'] satisfies SyncResult[]).map((result) =>
      drive([...start, connect, done('synchronize', { at: at(2), result, error: 'x' })]),
    ),
  ];
  for (const run of runs) for (const c of run.history.flat()) seen.add(`${c.type}/${c.reason}`);
  for (const key of [...seen].sort()) {
    const [type, reason] = key.split('/') as [keyof typeof CONDITION_REASONS, string];
    t.match(reason, /^[A-Z][A-Za-z]+$/, `${key} is CamelCase`);
    const documented = reason in CONDITION_REASONS[type] || (type === 'Ready' && Object.values(CONDITION_REASONS).some((r) => reason in r));
    t.ok(documented, `${key} is listed in CONDITION_REASONS`);
  }
  for (const [type, reasons] of Object.entries(CONDITION_REASONS)) {
    t.match(readme, `\`${type}\``, `the README names the condition ${type}`);
    for (const reason of Object.keys(reasons)) t.match(readme, `\`${reason}\``, `the README lists ${type}'s reason ${reason}`);
  }
  for (const reason of Object.keys(EVENT_REASONS)) t.match(readme, `\`${reason}\``, `the README lists the Event reason ${reason}`);
});

t.test('the Events of each step: connect, renewal with its cause, failures as repeats, Application counts, state changes', async (t) => {
  const reasons = (told: ConnectionEvent[]) => told.map((e) => `${e.type}/${e.reason}`);
  const connected = drive([...start, connect, synced(2, { created: 3, updated: 1, deleted: 2, failed: 0, unchanged: 7 })]);
  t.same(reasons(connected.told), ['Normal/ConnectionEstablished', 'Normal/ApplicationsSynchronized', 'Normal/Synchronized']);
  t.match(connected.told[0], {
    action: 'Connect',
    note: /^Connected to Compass with the one-time token; client certificate valid until 2026-04-11T00:00:00Z$/,
    at: at(1),
  });
  t.equal(
    connected.told[1].note,
    'Applications: 3 created, 1 updated, 2 deleted, 0 failed, 7 unchanged',
    'one Event per cycle with the counts',
  );
  t.equal(connected.told[2].note, 'connectionState Synchronized (was Connected)');

  const quiet = drive([
    ...start,
    connect,
    synced(2),
    wake(30),
    checked(30),
    synced(30, { created: 0, updated: 0, deleted: 0, failed: 0, unchanged: 7 }),
  ]);
  t.same(reasons(quiet.told), ['Normal/ConnectionEstablished', 'Normal/Synchronized'], 'a cycle that changed nothing tells nothing');

  const failures = drive([
    ...start,
    fail('establishConnection', 'unreachable', 'ECONNREFUSED', 1),
    wake(20),
    fail('establishConnection', 'unreachable', 'ECONNREFUSED', 20),
  ]);
  t.same(
    reasons(failures.told),
    ['Warning/ConnectionFailed', 'Warning/ConnectionFailed'],
    'every failed attempt, with the same note: the recorder folds them into a series',
  );
  t.equal(failures.told[0].note, failures.told[1].note);

  const maintenance = drive([...start, connect, synced(2), wake(30), fail('checkConnection', 'rejected', 'revoked', 30)]);
  t.match(maintenance.told.at(-1), {
    type: 'Warning',
    reason: 'ConnectionMaintenanceFailed',
    action: 'Maintain',
    note: 'Error while trying to maintain connection: revoked',
  });
  t.equal(
    maintenance.told.filter((e) => e.reason === 'ConnectionMaintenanceFailed').length,
    1,
    'the state change is told by the failure itself',
  );
  const back = drive([...start, connect, synced(2), wake(30), fail('checkConnection', 'unreachable', 'x', 30), wake(50), checked(50)]);
  t.match(
    back.told.at(-1),
    { type: 'Normal', reason: 'Synchronized', note: 'connectionState Synchronized (was ConnectionMaintenanceFailed)' },
    'a recovery is a state change',
  );

  for (const [result, reason] of [
    ['SynchronizationFailed', 'SynchronizationFailed'],
    ['MetadataUpdateFailed', 'MetadataUpdateFailed'],
  ] satisfies Array<[SyncResult, string]>) {
    const s = drive([...start, connect, done('synchronize', { at: at(2), result, error: 'boom' })]);
    t.match(s.told.at(-1), { type: 'Warning', reason, action: 'Synchronize', note: /boom/ });
  }
  const crash = drive([...start, connect, fail('synchronize', 'internal', 'bug', 2)]);
  t.match(crash.told.at(-1), { type: 'Warning', reason: 'SynchronizationFailed', note: /bug/ });
});

t.test('a renewal says why: threshold, requested or Secret changed', async (t) => {
  // 100 days of validity, threshold 0.3: renewal once less than 30 days are left.
  const late = 71 * 86_400;
  const threshold = drive([
    ...start,
    connect,
    synced(2),
    wake(late),
    checked(late),
    done('renewCertificate', {
      at: at(late + 1),
      certificateValidity: { notBefore: at(late), notAfter: at(late + 100 * 86_400) },
      managementInfo: M,
    }),
  ]);
  t.equal(threshold.s.context.renewalReason, 'below-threshold', 'the machine records why it renews');
  t.match(
    threshold.told.find((e) => e.reason === 'CertificateRenewed'),
    {
      type: 'Normal',
      action: 'RenewCertificate',
      note: /^Client certificate renewed, reason: threshold \(less than 30% of its validity left\); valid until /,
    },
  );

  const missing = drive([
    ...start,
    connect,
    synced(2),
    wake(30),
    done('checkConnection', { at: at(30), managementInfo: M, credentialsExist: false }),
    done('renewCertificate', { at: at(31), certificateValidity: validity, managementInfo: M }),
  ]);
  t.match(missing.told.find((e) => e.reason === 'CertificateRenewed')?.note, /reason: Secret changed/);
  const failed = drive([
    ...start,
    connect,
    synced(2),
    wake(30),
    done('checkConnection', { at: at(30), managementInfo: M, credentialsExist: false }),
    fail('renewCertificate', 'unreachable', 'ECONNRESET', 31),
  ]);
  t.match(failed.told.at(-1), { type: 'Warning', reason: 'ConnectionMaintenanceFailed', action: 'RenewCertificate' });

  t.equal(renewalCause('refresh-requested', 0.3), 'requested (spec.refreshCredentialsNow)');
  t.match(renewalCause('expires-before-next-sync', 0.3), /^threshold/);
  t.match(renewalCause('validity-unknown', 0.3), /^threshold/);
  t.equal(renewalCause(null, 0.3), 'unknown');
  t.same(connectionEventsOf(undefined, { type: 'WAKE' }, threshold.s.context), [], 'nothing to compare before the first step');
});
