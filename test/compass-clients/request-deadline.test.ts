// One Compass request's abort signal (adapters/compass/request-deadline.ts): the deadline aborts it as
// a timeout, the caller's signal as a cancellation, and `clear` releases both, so that a settled
// request leaves no timer and no listener behind.
import t from 'tap';
import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestDeadline } from '../../adapters/compass/request-deadline.js';

const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

t.test('the deadline aborts the signal with a TimeoutError', async (t) => {
  const deadline = requestDeadline(20);
  t.notOk(deadline.signal.aborted, 'not before the deadline');
  t.equal(deadline.timedOut, false);
  await sleep(60);
  t.ok(deadline.signal.aborted, 'aborted after it');
  t.equal(deadline.timedOut, true);
  t.equal((deadline.signal.reason as Error).name, 'TimeoutError');
});

t.test("the caller's signal aborts it with the caller's reason, and that is no timeout", async (t) => {
  const caller = new AbortController();
  const deadline = requestDeadline(20, caller.signal);
  const reason = new Error('stopping');
  caller.abort(reason);
  t.ok(deadline.signal.aborted);
  t.equal(deadline.signal.reason, reason);
  await sleep(60);
  t.equal(deadline.timedOut, false, 'the deadline passing later does not make it a timeout');
  deadline.clear();
});

t.test("a caller's signal aborted before the request aborts it at once", async (t) => {
  const caller = new AbortController();
  caller.abort('gone');
  const deadline = requestDeadline(10_000, caller.signal);
  t.ok(deadline.signal.aborted);
  t.equal(deadline.signal.reason, 'gone');
  t.equal(getEventListeners(caller.signal, 'abort').length, 0, 'nothing listens on a signal that has aborted');
  deadline.clear();
});

t.test('clear releases the timer and the listener: neither aborts the signal afterwards', async (t) => {
  const caller = new AbortController();
  const deadline = requestDeadline(20, caller.signal);
  t.equal(getEventListeners(caller.signal, 'abort').length, 1, 'listens while pending');
  deadline.clear();
  t.equal(getEventListeners(caller.signal, 'abort').length, 0, 'not after clear');
  await sleep(60);
  caller.abort();
  t.notOk(deadline.signal.aborted, 'neither the deadline nor the caller aborted it');
  t.equal(deadline.timedOut, false);
});

t.test('a pending deadline does not keep the process alive', async (t) => {
  const before = timers();
  const deadline = requestDeadline(60_000);
  t.equal(timers(), before, 'its timer is not among the resources that keep node running');
  deadline.clear();
});
