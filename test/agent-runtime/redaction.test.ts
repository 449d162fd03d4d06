// Redaction by value (the agent's own tokens and keys) on top of the patterns, and bounded texts.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import {
  boundText,
  forgetRegisteredSecrets,
  isSecretKey,
  redact,
  redactStrings,
  redactText,
  registerSecret,
  REDACTED,
} from '../../adapters/redaction.js';

t.afterEach(() => forgetRegisteredSecrets());

t.test('registered tokens are removed wherever they appear, in every form they take in text', async (t) => {
  const token = 'shortTok=1';
  t.equal(redactText(`401: token ${token} unknown`), `401: token ${token} unknown`, 'the patterns alone miss a short token');
  registerSecret(token);
  t.equal(redactText(`401: token ${token} unknown`), `401: token ${REDACTED} unknown`);
  t.equal(redactText(`GET /graphql?token=${encodeURIComponent(token)}`), `GET /graphql?token=${REDACTED}`, 'URL-encoded');
  t.equal(redactText(`{"message":${JSON.stringify(`bad "${token}"`)}}`), `{"message":"bad \\"${REDACTED}\\""}`);
  t.same(redact({ error: { detail: `echo ${token}` } }), { error: { detail: `echo ${REDACTED}` } }, 'in nested objects');
  t.same(
    redactStrings({ certificate: { notAfter: `x ${token}` } }),
    { certificate: { notAfter: `x ${REDACTED}` } },
    'redactStrings keeps secret-named keys, scrubs values',
  );
});

t.test('the previous tokens stay registered after new ones arrive; values too short to matter are not', async (t) => {
  const tokens = Array.from({ length: 10 }, (_, i) => `token-number-${i}`);
  for (const token of tokens) registerSecret(token);
  for (const token of tokens) t.equal(redactText(`x ${token} y`), `x ${REDACTED} y`, token);
  registerSecret('abc');
  t.equal(redactText('abc abcdef'), 'abc abcdef', 'a 3-character value would garble every message; it is not registered');
  registerSecret(undefined);
  registerSecret(null);
});

t.test('the key is removed by value, including its base64 body without the PEM lines', async (t) => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  t.notOk(redactText(`dump ${body.slice(0, 40)}`).includes(REDACTED), 'a short slice of the body alone is not secret-shaped');
  registerSecret(pem, 'key');
  t.notOk(redactText(`unwrapped: ${body}`).includes(body.slice(0, 40)), 'the whole body on one line is removed');
  t.notOk(redactText(`pem: ${pem}`).includes(body.slice(0, 40)));
});

t.test('JWTs and bearer credentials are caught by their shape; prose is not', async (t) => {
  t.equal(redactText('got eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig-123 back'), `got ${REDACTED} back`);
  t.equal(redactText('Authorization: Bearer abc.def-123'), `Authorization: Bearer ${REDACTED}`);
  t.equal(redactText('Bearer authentication is not configured'), 'Bearer authentication is not configured');
});

t.test('request ids (UUIDs joined by _) stay readable; long token-like runs do not', async (t) => {
  const requestId = '0d1c4a7e-5b2f-4c3e-9a8d-6f7e1b2c3d4e_09731b95-3d3f-4ae2-9c18-768f2b38387f';
  t.equal(redactText(`failed (x-request-id ${requestId})`), `failed (x-request-id ${requestId})`);
  const secretName = 'kyma-system/mp-orders-system-b0000000-0000-4000-8000-000000000001';
  t.equal(redactText(`update Secret ${secretName} failed`), `update Secret ${secretName} failed`, 'Kubernetes names too');
  t.equal(redactText(`token ${'A1b2-C3d4_'.repeat(8)}`), `token ${REDACTED}`);
  t.equal(
    redactText(`digest ${'0123456789abcdef'.repeat(4)}`),
    `digest ${REDACTED}`,
    'a long hex run without separators is still taken for a secret',
  );
});

t.test('each shape is caught in a text that holds no other, whatever its case; texts without any come back unchanged', async (t) => {
  // One scan decides whether any pattern can apply: each shape must pass it on its own.
  const pem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----';
  t.equal(redactText(`pem ${pem} end`), `pem ${REDACTED} end`, 'a PEM block');
  t.equal(redactText(`data LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t end`), `data ${REDACTED} end`, 'base64 of a PEM header');
  t.equal(redactText('got eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0. back'), `got ${REDACTED} back`, 'a JWT');
  t.equal(redactText('BEARER abc.def-123'), `BEARER ${REDACTED}`, 'bearer in capitals');
  t.equal(redactText(`${'A1b2-C3d4'.repeat(7)}X`), REDACTED, '64 characters alone are a long run');
  t.equal(redactText(`x ${'A1b2-C3d4'.repeat(7)}`), `x ${'A1b2-C3d4'.repeat(7)}`, '63 characters are not a long run');
  for (const text of ['', 'Synchronized', '2026-12-01T20:16:51Z', 'kyma-system/compass-connection', 'Bearer']) {
    t.equal(redactText(text), text);
  }
});

t.test('secret keys are recognised in any case and with - or _', async (t) => {
  t.ok(isSecretKey('Private_Key'));
  t.ok(isSecretKey('private-key'));
  t.ok(isSecretKey('CLIENT_SECRET'));
  t.notOk(isSecretKey('name'));
  t.notOk(isSecretKey('label-1'));
  t.same(redact({ Private_Key: 'x', name: 'n' }), { Private_Key: REDACTED, name: 'n' });
});

t.test('a copy redact made is handed back as it is, alone or inside another value; anything else is copied', async (t) => {
  const event = { type: 'OBSERVED', secrets: { token: 'abcdefgh' }, note: `see ${'A1b2-C3d4'.repeat(8)}` };
  const copy = redact(event);
  t.same(copy, { type: 'OBSERVED', secrets: { token: REDACTED }, note: `see ${REDACTED}` });
  t.equal(redact(copy), copy, 'redacted once, not again');
  const wrapped = redact({ type: 'done', output: copy, twice: copy });
  t.equal(wrapped.output, copy, 'inside a new value');
  t.equal(wrapped.twice, copy, 'a copy met twice is no cycle');
  t.not(redact(event), copy, 'the original is redacted anew');
  t.not(redact(copy.secrets), copy.secrets, 'what is inside a copy is no copy of its own');
  const cyclic: Record<string, unknown> = { name: 'x' };
  cyclic.self = cyclic;
  t.same(redact(cyclic), { name: 'x', self: '[Circular]' });
});

t.test('bounded texts say how much was cut', async (t) => {
  t.equal(boundText('short', 10), 'short');
  t.equal(boundText('0123456789abcdef', 10), '0123456789… (6 more characters)');
});
