// Reading a caught value or parsed JSON without a cast (adapters/unknown-values.ts), and letting a timer handle go
// (adapters/clock/clock.ts): what they return for the values a library may really throw or a server really send.
import t from 'tap';
import { errorCode, errorMessage, isRecord } from '../../adapters/unknown-values.js';
import { systemClock, unrefTimer } from '../../adapters/clock/clock.js';

t.test("errorMessage: an Error's message, any object's string message, else the value as text", async (t) => {
  t.equal(errorMessage(new TypeError('bad header')), 'bad header');
  t.equal(errorMessage({ message: 'from a plain object' }), 'from a plain object');
  t.equal(errorMessage({ message: 42 }), '[object Object]', 'a message that is not a string is not taken');
  t.equal(errorMessage('thrown text'), 'thrown text');
  t.equal(errorMessage(undefined), 'undefined');
  t.equal(errorMessage(null), 'null');
});

t.test('errorCode: a string code only', async (t) => {
  t.equal(errorCode(Object.assign(new Error('x'), { code: 'ENOENT' })), 'ENOENT');
  t.equal(errorCode({ code: 404 }), undefined, 'a number is not a system error code');
  t.equal(errorCode(new Error('no code')), undefined);
  t.equal(errorCode('ECONNRESET'), undefined, 'a string thrown is not an error with a code');
  t.equal(errorCode(null), undefined);
});

t.test('isRecord: objects, not arrays, not null', async (t) => {
  t.ok(isRecord({}));
  t.ok(isRecord(new Error('x')), 'an Error is an object whose fields can be read');
  t.notOk(isRecord([]));
  t.notOk(isRecord(null));
  t.notOk(isRecord('text'));
  t.notOk(isRecord(undefined));
});

t.test('unrefTimer: a system timer no longer holds the process; other handles are left alone', async (t) => {
  const handle = systemClock.setTimeout(() => {}, 60_000);
  t.teardown(() => systemClock.clearTimeout(handle));
  unrefTimer(handle);
  t.equal((handle as NodeJS.Timeout).hasRef(), false);
  t.doesNotThrow(() => unrefTimer(7), "a manual clock's number");
  t.doesNotThrow(() => unrefTimer({ unref: 'not a function' }));
  t.doesNotThrow(() => unrefTimer(undefined));
});
