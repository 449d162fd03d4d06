import t from 'tap';
import { SpareKey } from '../../adapters/pki/spare-key.js';
import { generateRsaKeyPair, type RsaKeyPair } from '../../adapters/pki/csr.js';

t.test('a spare key is prepared ahead, handed out once, and the next one starts at once', async (t) => {
  const started: number[] = [];
  const spare = new SpareKey(2048, (bits) => {
    started.push(bits);
    return generateRsaKeyPair(bits);
  });
  spare.prepare();
  spare.prepare();
  t.same(started, [2048], 'prepare is idempotent while a key is on its way');
  const first = await spare.take();
  t.equal(started.length, 2, 'taking a key starts the next one');
  const second = await spare.take();
  t.not(first.privateKeyPem, second.privateKeyPem, 'keys are never reused');
  t.match(first.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----/);
  t.equal(started.length, 3);
});

t.test('a failed background generation surfaces at take and does not poison the next', async (t) => {
  let calls = 0;
  const spare = new SpareKey(2048, async () => {
    calls++;
    if (calls === 1) throw new Error('entropy ran out');
    return { privateKeyPem: `key-${calls}` } as RsaKeyPair;
  });
  spare.prepare();
  await t.rejects(spare.take(), /entropy ran out/);
  t.equal((await spare.take()).privateKeyPem, 'key-2');
});
