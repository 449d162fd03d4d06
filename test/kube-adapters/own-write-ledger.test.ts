// Which changes of the Application cache the agent's own writes made (own-write-ledger.ts): each write
// counts once, whether its answer or its echo on the watch reached the cache first; nothing else counts.
import t from 'tap';
import { OwnWriteLedger, REMOVED } from '../../adapters/kube/own-write-ledger.js';

const counts = (ledger: OwnWriteLedger) => [ledger.changes, ledger.own];

/** [changes, own] after `during` ran with a write of `app` in flight on a fresh ledger (or `ledger`). */
function withWrite(during: (ledger: OwnWriteLedger) => void, ledger = new OwnWriteLedger()): number[] {
  ledger.begin('app');
  during(ledger);
  ledger.end('app');
  return counts(ledger);
}

t.test('a write whose answer comes first: one change, the agent’s own', async (t) => {
  t.same(
    withWrite((ledger) => ledger.written('app', '7', true)),
    [1, 1],
  );
});

t.test('a write whose echo comes first: the echo is the change, the answer naming its version makes it the agent’s own', async (t) => {
  t.same(
    withWrite((ledger) => {
      ledger.watched('app', '7');
      t.same(counts(ledger), [1, 0], 'until the answer, the change is nobody’s own');
      ledger.written('app', '7', false);
    }),
    [1, 1],
  );
});

t.test('the watch bringing another version while the write is in flight is not the agent’s own', async (t) => {
  const before = withWrite((ledger) => {
    ledger.watched('app', '6'); // someone else's version before ours
    ledger.written('app', '7', true);
  });
  t.same(before, [2, 1], 'two changes, one of them the agent’s own');
  const after = withWrite((ledger) => {
    ledger.watched('app', '7');
    ledger.watched('app', '8'); // someone else's version after ours, before our answer
    ledger.written('app', '7', false);
  });
  t.same(after, [2, 0], 'the last version the watch brought is not the answer: nothing claimed');
});

t.test('an echo is claimed once, and only while its write is in flight', async (t) => {
  const twice = withWrite((ledger) => {
    ledger.watched('app', '7');
    ledger.written('app', '7', false);
    ledger.written('app', '7', false);
  });
  t.same(twice, [1, 1], 'a second claim of the same echo counts nothing');

  const outside = new OwnWriteLedger();
  outside.watched('app', '7'); // no write in flight
  t.same(
    withWrite((ledger) => ledger.written('app', '7', false), outside),
    [1, 0],
    'a change the watch brought before the write was sent is not its echo',
  );

  const other = withWrite((ledger) => {
    ledger.watched('other', '7');
    ledger.written('app', '7', false);
  });
  t.same(other, [1, 0], 'nor one of another name');
});

t.test('writes of one name at the same time: the echo stays claimable until the last one ends', async (t) => {
  const ledger = new OwnWriteLedger();
  ledger.begin('app');
  t.same(
    withWrite((l) => l.written('app', 'unused', false), ledger),
    [0, 0],
  );
  ledger.watched('app', '9');
  ledger.written('app', '9', false);
  ledger.end('app');
  t.same(counts(ledger), [1, 1]);
  ledger.end('app'); // an extra end is harmless
  ledger.watched('app', '10');
  ledger.written('app', '10', false);
  t.same(counts(ledger), [2, 1], 'after the last end, nothing is in flight');
});

t.test('deletes: the agent’s own when its delete succeeded, whichever came first', async (t) => {
  t.same(
    withWrite((ledger) => ledger.written('app', REMOVED, true)),
    [1, 1],
    'answer first',
  );
  const echoFirst = withWrite((ledger) => {
    ledger.watched('app', REMOVED);
    ledger.written('app', REMOVED, false);
  });
  t.same(echoFirst, [1, 1], 'echo first');
  // Someone else's delete; ours answers 404 and claims nothing.
  t.same(
    withWrite((ledger) => ledger.watched('app', REMOVED)),
    [1, 0],
    'a delete that answered 404',
  );
  const removedThenWritten = withWrite((ledger) => {
    ledger.watched('app', REMOVED);
    ledger.written('app', '7', false);
  });
  t.same(removedThenWritten, [1, 0], 'a removal is not the echo of a write that names a version');
});

t.test('a write the watch brought and then removed before its answer: out of date, its echo the agent’s own', async (t) => {
  const removed = withWrite((ledger) => {
    ledger.watched('app', '7');
    ledger.watched('app', REMOVED); // someone else's delete, after the write
    t.ok(ledger.removedAfter('app', '7'), 'the answer naming 7 is out of date');
    t.notOk(ledger.removedAfter('app', '7'), 'and claimed once');
  });
  t.same(removed, [2, 1], 'two changes: the echo (the agent’s own) and the removal (someone else’s)');
  const before = new OwnWriteLedger();
  before.begin('app');
  before.watched('app', REMOVED); // an earlier object of the name, deleted before a create
  t.notOk(before.removedAfter('app', '7'), 'a removal before the write’s version: the write made the object anew');
  before.watched('app', '6');
  before.watched('app', REMOVED);
  t.notOk(before.removedAfter('app', '7'), 'the removal of another version is not the removal of this one');
  before.watched('app', '7');
  t.notOk(before.removedAfter('app', '7'), 'the version brought again after a removal: not removed');
  before.end('app');
  const outside = new OwnWriteLedger();
  outside.watched('app', '7');
  outside.watched('app', REMOVED);
  outside.begin('app');
  t.notOk(outside.removedAfter('app', '7'), 'what the watch brought before the write was sent counts not');
  outside.end('app');
});

t.test('relists and other changes nobody claims', async (t) => {
  const ledger = new OwnWriteLedger();
  ledger.changed();
  ledger.watched('app', '3');
  t.same(counts(ledger), [2, 0]);
});
