// The TLS material of the Compass clients as shared secure contexts: built once per material (every
// trust anchor is parsed when one is built), a new one for new material, and unusable material
// refused when the client is made, with a message that carries none of it.
import t from 'tap';
import { createCertificateAuthority, issueClientCertificate } from '../../sim/tls/certificate-authority.js';
import { secureContextFor } from '../../adapters/compass/tls-context.js';
import { GraphQLTransport } from '../../adapters/compass/graphql-transport.js';
import { FAKE_PRIVATE_KEY_PEM } from '../fixtures/fake-pem.js';

const ca = await createCertificateAuthority('tls-context-test-ca');
const alice = await issueClientCertificate(ca, 'CN=alice');
const bob = await issueClientCertificate(ca, 'CN=bob');
const material = (client: { keyPem: string; certPem: string }) => ({
  caPem: ca.certPem,
  keyPem: client.keyPem,
  certificateChainPem: client.certPem,
});

t.test('the same material gives the same context; other material another one', async (t) => {
  const first = secureContextFor(material(alice));
  t.equal(secureContextFor(material(alice)), first, 'built once, then shared');
  t.equal(
    secureContextFor({ ...material(alice), keyPem: Buffer.from(alice.keyPem).toString() }),
    first,
    'by content, not by string identity',
  );
  t.not(secureContextFor(material(bob)), first, 'a renewed client certificate gets its own context');
  t.not(secureContextFor({ caPem: ca.certPem }), first, 'without a client certificate');
});

t.test('NODE_EXTRA_CA_CERTS is part of the material', async (t) => {
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  t.teardown(() => {
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
  });
  delete process.env.NODE_EXTRA_CA_CERTS;
  const without = secureContextFor(material(alice));
  process.env.NODE_EXTRA_CA_CERTS = '/nonexistent/extra-ca.pem';
  t.not(secureContextFor(material(alice)), without, 'a changed NODE_EXTRA_CA_CERTS builds a new context');
});

t.test('unusable material is refused when the client is made, without the material in the message', async (t) => {
  const error = (() => {
    try {
      new GraphQLTransport({
        url: 'https://compass.invalid/graphql',
        caPem: ca.certPem,
        clientCertificate: { keyPem: FAKE_PRIVATE_KEY_PEM, certificateChainPem: alice.certPem },
      });
    } catch (e) {
      return e as Error;
    }
    return undefined;
  })();
  t.ok(error instanceof TypeError, 'a TypeError from the constructor');
  t.match(error?.message, /TLS material for https:\/\/compass\.invalid.* cannot be used .*check the CA and the client certificate and key/);
  t.notMatch(error?.message, /BEGIN|MIIE/, 'no PEM in the message');
});
