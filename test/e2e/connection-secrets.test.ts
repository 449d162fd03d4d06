// Acceptance: what the agent keeps in its certificate Secrets. The CA Secret's cacert is exactly the
// Connector's CA certificate (not the chain with the client certificate in front), after connecting
// and after every renewal; a key replaced by another valid key in the client-certificate Secret while
// the agent runs is noticed and repaired by a renewal, without a token.
import t, { type Test } from 'tap';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { CA_SECRET, CLIENT_SECRET, startHarness } from '../helpers/agent-harness.js';
import { SecretLedger, calls, clientCertificate, effectsDoneAfter } from '../helpers/connection-checks.js';
import { keyMatchesCertificate } from '../../adapters/pki/certificate.js';

const certificatesIn = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];

t.test('the certificate Secrets', async (t) => {
  const h = await startHarness({ apps: 1 });
  t.teardown(() => h.close());
  const ledger = new SecretLedger();
  ledger.addToken(await h.writeConfigSecret());
  h.startAgent();
  await h.waitForState('Synchronized');
  /** Renewals the agent completed (certificate signed and both Secrets written) after event-log entry `mark`. */
  const renewalsDone = (mark: number) => effectsDoneAfter(h, 'renewCertificate', mark);
  const tokenCalls = calls(h, 'connector', 'configuration').length;
  const connectorCa = h.sims.compass.connectorCaPem;

  const caIsExactlyTheConnectorCa = (t: Test, when: string) => {
    const cacert = h.secretData(CA_SECRET)?.cacert ?? '';
    t.equal(certificatesIn(cacert).length, 1, `${when}: cacert holds one certificate`);
    t.equal(cacert, connectorCa, `${when}: cacert is the Connector's CA certificate, byte for byte`);
    t.equal(
      new X509Certificate(cacert).fingerprint256,
      new X509Certificate(connectorCa).fingerprint256,
      `${when}: the same certificate by fingerprint`,
    );
    t.notOk(cacert.includes(h.secretData(CLIENT_SECRET)!.crt.trim()), `${when}: not the client certificate`);
  };

  await t.test("cacert holds exactly the Connector's CA certificate, after connecting and after a renewal", async (t) => {
    caIsExactlyTheConnectorCa(t, 'after connecting');
    const mark = h.lastEventSeq();
    await h.kubectl('patch', 'compassconnection', 'compass-connection', '--type', 'merge', '-p', '{"spec":{"refreshCredentialsNow":true}}');
    // Done when the effect is: both Secrets are written by then.
    await h.waitFor('a renewal stored in the Secrets', () => renewalsDone(mark) > 0 || undefined);
    caIsExactlyTheConnectorCa(t, 'after a renewal');
    const chain = h.secretData(CLIENT_SECRET)!.crtChain;
    t.equal(certificatesIn(chain).length, 2, 'while crtChain holds the client and the CA certificate');
  });

  await t.test('a deleted CA Secret is written again by one renewal, and no other follows', async (t) => {
    const mark = h.lastEventSeq();
    await h.kubectl('delete', 'secret', CA_SECRET.name, '-n', CA_SECRET.namespace);
    await h.waitFor('a renewal that writes the CA Secret again', () => (renewalsDone(mark) > 0 && h.secretData(CA_SECRET)) || undefined);
    caIsExactlyTheConnectorCa(t, 'after the CA Secret was deleted');
    // What the cycle read before the renewal (no CA Secret) must not come back as an observation after it.
    await h.waitForSyncCycles(3);
    t.equal(renewalsDone(mark), 1, 'one renewal, not one more for the Secret as it was before');
  });

  await t.test('a key replaced by another valid key while the agent runs leads to a renewal', async (t) => {
    ledger.collect(h);
    const mark = h.lastEventSeq();
    const previous = clientCertificate(h)!.sha256;
    const planted = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    ledger.addToken(planted.split('\n')[5]);
    const secret = h.sims.kube.get('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace)!;
    await h.sims.kube.update({ ...secret, data: { ...(secret.data as object), key: Buffer.from(planted).toString('base64') } });
    await h.waitFor('a renewal that repairs the Secret', () =>
      renewalsDone(mark) > 0 && clientCertificate(h)?.sha256 !== previous ? true : undefined,
    );
    await h.waitForState('Synchronized');
    const repaired = h.secretData(CLIENT_SECRET)!;
    t.not(repaired.key, planted, 'the planted key is gone');
    t.ok(keyMatchesCertificate(repaired.key, repaired.crt), 'the stored key belongs to the stored certificate');
    t.equal(calls(h, 'connector', 'configuration').length, tokenCalls, 'no token was used');
    caIsExactlyTheConnectorCa(t, 'after the repair');
    await ledger.assertNoLeaks(t, h, 'the agent through the key replacement');
  });
});
