// Pins of the machine's timing that nothing else checks: renewal waits until less than threshold ×
// validity is left (not until threshold × validity has passed), lastSuccess moves with every
// successful maintenance (also the one that ends a MaintenanceFailed), and the retry backoff grows with
// consecutive failures and starts again from the first delay after a success.
import t from 'tap';
import { initialTransition, transition, type EventFromLogic } from 'xstate';
import { agentMachine, type AgentMachine, type AgentSnapshot } from '../../machines/agent-machine.js';
import { renewalReason } from '../../machines/timing.js';
import type { EffectId } from '../../machines/effect-boundary.js';
import { effectDone, effectFailed } from '../helpers/machine-steps.js';
import { projectConnection } from '../../src/status-projection.js';

type Event = EventFromLogic<AgentMachine>;
const DAY = 86_400;
/** A minimal sync time far below the retry delays, so the delays show unclamped. */
const TIMING = { syncPeriodMs: 20_000, minimalSyncTimeMs: 1_000, renewalThreshold: 0.3, retryBaseMs: 5_000, retryCapMs: 60_000 };
const M = { directorUrl: 'https://director.test', connectorUrl: 'https://connector-mtls.test' };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
/** As the CR holds timestamps: RFC 3339 to the second. */
const rfc3339 = (s: number) => at(s).replace('.000Z', 'Z');
const ninetyDays = { notBefore: at(0), notAfter: at(90 * DAY) };

const done = effectDone;
const fail = (id: EffectId, s: number) => effectFailed(id, { kind: 'unreachable', message: 'connect ECONNREFUSED', at: at(s) });
const wake = (s: number) => ({ type: 'WAKE', at: at(s) }) as Event;
const checked = (s: number) => done('checkConnection', { at: at(s), managementInfo: M, credentialsExist: true });
const synced = (s: number) => done('synchronize', { at: at(s), result: 'Synchronized' });

function run(events: Event[], from?: AgentSnapshot): AgentSnapshot {
  let snapshot = from ?? initialTransition(agentMachine, { startedAt: at(0), timing: TIMING })[0];
  for (const e of events) [snapshot] = transition(agentMachine, snapshot, e);
  return snapshot;
}
const value = (s: AgentSnapshot) => JSON.stringify(s.value);
/** Connected at 0 with a 90-day certificate, synchronized at 1 s. */
const synchronized = () =>
  run([
    { type: 'CONFIG_OBSERVED', at: at(0), config: { present: true, tokenFingerprint: 'fp1' } },
    done('loadState', { at: at(0), cr: null, credentialsSecrets: { clientCertificateSecret: 'missing', caCertificateSecret: 'missing' } }),
    done('establishConnection', { at: at(0), certificateValidity: ninetyDays, managementInfo: M, tokenFingerprint: 'fp1' }),
    synced(1),
  ]);
/** Seconds from T0 of the wake-up the machine asked for. */
const wakeAt = (s: AgentSnapshot) => (Date.parse(s.context.wake!.at) - T0) / 1000;

t.test('renewal when less than threshold × validity is left, not once threshold × validity has passed', async (t) => {
  const decide = (daysLeft: number, threshold = 0.3) =>
    renewalReason({
      certificate: ninetyDays,
      now: at((90 - daysLeft) * DAY),
      renewalThreshold: threshold,
      minimalSyncTimeMs: 10_000,
      refreshRequested: false,
      credentialsExist: true,
    });
  t.equal(decide(60), null, '90 days, 60 left (a third passed): no renewal');
  t.equal(decide(45), null, 'half left: no renewal');
  t.equal(decide(28), null, '28 days left, more than 0.3 × 90 = 27: no renewal');
  t.equal(decide(27), null, 'exactly 27 days left: not less than the threshold');
  t.equal(decide(26.9), 'below-threshold', 'just under 27 days left: renew');
  t.equal(decide(10), 'below-threshold');
  t.equal(decide(46, 0.5), null, 'threshold 0.5: 46 of 90 days left, no renewal');
  t.equal(decide(44, 0.5), 'below-threshold', 'threshold 0.5: 44 left, renew');

  // The machine at its maintenance cycles: 60 days left goes on to synchronize, 26 days left renews.
  const sixtyLeft = run([wake(30 * DAY), checked(30 * DAY)], synchronized());
  t.equal(value(sixtyLeft), '{"Certified":{"Connected":"Synchronizing"}}', 'a cycle with 60 of 90 days left does not renew');
  const twentySixLeft = run([wake(64 * DAY), checked(64 * DAY)], synchronized());
  t.equal(value(twentySixLeft), '{"Certified":"Renewing"}', 'a cycle with 26 of 90 days left renews');
});

t.test('lastSuccess advances on every successful maintenance, also the one that ends MaintenanceFailed', async (t) => {
  let s = synchronized();
  t.equal(s.context.connection?.lastSuccess, at(0), 'the connection is the first success');
  s = run([wake(21), checked(22), synced(23)], s);
  t.equal(s.context.connection?.lastSuccess, at(22), 'a successful maintenance moves it');
  s = run([wake(44), checked(45), synced(46)], s);
  t.equal(s.context.connection?.lastSuccess, at(45), 'and the next one again');
  t.equal(projectConnection(s)?.status.connectionStatus.lastSuccess, rfc3339(45), 'the CR says so');

  s = run([wake(67), fail('checkConnection', 67)], s);
  t.equal(value(s), '{"Certified":"MaintenanceFailed"}');
  t.equal(s.context.connection?.lastSuccess, at(45), 'a failure keeps the last success');
  t.equal(s.context.connection?.lastSync, at(67), 'but moves lastSync');
  const retry = wakeAt(s);
  s = run([wake(retry), checked(retry + 1)], s);
  t.equal(s.context.connection?.lastSuccess, at(retry + 1), 'the recovery is a success too');
  t.equal(s.context.connectionError, null, 'and clears the error');
  t.equal(projectConnection(s)?.status.connectionStatus.error, undefined, 'the CR shows none');
  s = run([synced(retry + 2)], s);
  const projected = projectConnection(s)!.status;
  t.equal(projected.connectionState, 'Synchronized');
  t.equal(projected.connectionStatus.lastSuccess, rfc3339(retry + 1), 'the CR after the recovery');
});

t.test('retry backoff grows with consecutive failures and restarts from the first delay after a success', async (t) => {
  /** One failed maintenance at the machine's next wake-up; returns the delay it then asks for. */
  const failNext = (s: AgentSnapshot) => {
    const when = wakeAt(s);
    const after = run([wake(when), fail('checkConnection', when)], s);
    return { s: after, delay: wakeAt(after) - when };
  };
  let s = run([wake(21)], synchronized());
  s = run([fail('checkConnection', 21)], s);
  const delays = [wakeAt(s) - 21];
  for (let i = 0; i < 3; i++) {
    const next = failNext(s);
    s = next.s;
    delays.push(next.delay);
  }
  t.same(delays, [5, 10, 20, 40], 'fail, fail, fail, fail: 5 s, 10 s, 20 s, 40 s (base 5 s, doubling)');
  t.equal(s.context.wake!.jitterMs, 10_000, 'jitter a quarter of the delay, added by the timer');

  // Success, then a failure: the first delay again, not the next doubling.
  const recovered = wakeAt(s);
  s = run([wake(recovered), checked(recovered), synced(recovered + 1)], s);
  t.equal(s.context.failures, 0, 'a success resets the count');
  const afterSuccess = failNext(s);
  t.equal(afterSuccess.delay, 5, 'fail after a success: back to 5 s');
  t.equal(failNext(afterSuccess.s).delay, 10, 'and growing from there');

  // The same on the connection path: failed attempts grow, a connection resets them.
  let c = run([
    { type: 'CONFIG_OBSERVED', at: at(0), config: { present: true, tokenFingerprint: 'fp1' } },
    done('loadState', { at: at(0), cr: null, credentialsSecrets: { clientCertificateSecret: 'missing', caCertificateSecret: 'missing' } }),
    fail('establishConnection', 0),
  ]);
  t.equal(wakeAt(c), 5);
  c = run([wake(5), fail('establishConnection', 5)], c);
  t.equal(wakeAt(c) - 5, 10, 'the second failed connection waits 10 s');
  c = run(
    [
      wake(15),
      done('establishConnection', { at: at(15), certificateValidity: ninetyDays, managementInfo: M, tokenFingerprint: 'fp1' }),
      synced(16),
    ],
    c,
  );
  c = run([wake(wakeAt(c)), fail('checkConnection', wakeAt(c))], c);
  t.equal(value(c), '{"Certified":"MaintenanceFailed"}');
  t.equal(c.context.failures, 1, 'after connecting, the first maintenance failure counts from one');
});
