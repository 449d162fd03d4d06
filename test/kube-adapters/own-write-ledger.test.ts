// Which changes of the Application cache the agent's own writes made (own-write-ledger.ts): each write
// counts once, whether its answer or its echo on the watch reached the cache first; nothing else counts.
import t from 'tap';
import { OwnWriteLedger, REMOVED } from '../../adapters/kube/own-write-ledger.js';

const counts = (ledger: OwnWriteLedger) => [ledger.changes, ledger.own];

t.test('a write whose answer comes first: one change, the agent own; its echo is no change at all', async (t) => {
  const ledger = new OwnWriteLedger();
  ledger.begin('app');
  ledger.written('app', '7', true);
  ledger.end('app');
  t.same(counts(ledger), [1, 1]);
});

t.test('a write whose echo comes first: the echo is the change, the answer naming its version makes it the agent own', async (t) => {
  const ledger = new OwnWriteLedger();
  ledger.begin('app');
  ledger.watched('app', '7');
  t.same(counts(ledger), [1, 0], 'until the answer, the change is nobody own');
  ledger.written('app', '7', false);
  ledger.end('app');
  t.same(counts(ledger), [1, 1]);
});

t.test('the watch bringing another version while the write is in flight is not the agent own', async (t) => {
  const ledger = new OwnWriteLedger();
  ledger.begin('app');
  ledger.watched('app', '6'); // someone else's version before ours
  ledger.written('app', '7', true);
  ledger.end('app');
  t.same(counts(ledger), [2, 1], 'two changes, one of them the agent own');

  const later = new OwnWriteLedger();
  later.begin('app');
  later.watched('app', '7');
  later.watched('app', '8'); // someone else's version after ours, before our answer
  later.written('app', '7', false);
  later.end('app');
  t.same(counts(later), [2, 0], 'the last version the watch brought is not the answer: nothing claimed');
});

t.test('an echo is claimed once, and only while its write is in flight', async (t) => {
  const ledger = new OwnWriteLedger();
  ledger.begin('app');
  ledger.watched('app', '7');
  ledger.written('app', '7', false);
  ledger.written('app', '7', false);
  ledger.end('app');
  t.same(counts(ledger), [1, 1], 'a second claim of the same echo counts nothing');

  const outside = new OwnWriteLedger();
  outside.watched('app', '7'); // no write in flight
  outside.begin('app');
  outside.written('app', '7', false);
  outside.end('app');
  t.same(counts(outside), [1, 0], 'a change the watch brought before the write was sent is not its echo');

  const other = new OwnWriteLedger();
  other.begin('app');
  other.watched('other', '7');
  other.written('app', '7', false);
  other.end('app');
  t.same(counts(other), [1, 0], 'nor one of another name');
});

t.test('writes of one name at the same time: the echo stays claimable until the last one ends', async (t) => {
  const ledger = new OwnWriteLedger();
  ledger.begin('app');
  ledger.begin('app');
  ledger.end('app');
  ledger.watched('app', '9');
  ledger.written('app', '9', false);
  ledger.end('app');
  t.same(counts(ledger), [1, 1]);
  ledger.end('app'); // an extra end is harmless
  ledger.watched('app', '10');
  ledger.written('app', '10', false);
  t.same(counts(ledger), [2, 1], 'after the last end, nothing is in flight');
});

t.test('deletes: the agent own when its delete succeeded, whichever came first', async (t) => {
  const answerFirst = new OwnWriteLedger();
  answerFirst.begin('app');
  answerFirst.written('app', REMOVED, true);
  answerFirst.end('app');
  t.same(counts(answerFirst), [1, 1]);

  const echoFirst = new OwnWriteLedger();
  echoFirst.begin('app');
  echoFirst.watched('app', REMOVED);
  echoFirst.written('app', REMOVED, false);
  echoFirst.end('app');
  t.same(counts(echoFirst), [1, 1]);

  const notFound = new OwnWriteLedger();
  notFound.begin('app');
  notFound.watched('app', REMOVED); // someone else's delete; ours answers 404 and claims nothing
  notFound.end('app');
  t.same(counts(notFound), [1, 0]);

  const removedThenWritten = new OwnWriteLedger();
  removedThenWritten.begin('app');
  removedThenWritten.watched('app', REMOVED);
  removedThenWritten.written('app', '7', false);
  removedThenWritten.end('app');
  t.same(counts(removedThenWritten), [1, 0], 'a removal is not the echo of a write that names a version');
});

t.test('relists and other changes nobody claims', async (t) => {
  const ledger = new OwnWriteLedger();
  ledger.changed();
  ledger.watched('app', '3');
  t.same(counts(ledger), [2, 0]);
});
