import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueServerCertificate, issueClientCertificate } from '../../sim/tls/certificate-authority.js';

t.test('simulator CA issues server and client certificates that openssl verifies', async (t) => {
  const ca = await createCertificateAuthority('test-ca');
  const server = await issueServerCertificate(ca, 'server');
  const client = await issueClientCertificate(ca, 'CN=alice, O=devs');
  const dir = mkdtempSync(join(tmpdir(), 'ca-'));
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
  writeFileSync(join(dir, 'server.pem'), server.certPem);
  writeFileSync(join(dir, 'client.pem'), client.certPem);
  const out = execFileSync('openssl', [
    'verify',
    '-CAfile',
    join(dir, 'ca.pem'),
    join(dir, 'server.pem'),
    join(dir, 'client.pem'),
  ]).toString();
  t.match(out, /server\.pem: OK/);
  t.match(out, /client\.pem: OK/);
  const san = execFileSync('openssl', ['x509', '-in', join(dir, 'server.pem'), '-noout', '-ext', 'subjectAltName']).toString();
  t.match(san, /IP Address:127\.0\.0\.1/);
  const subject = execFileSync('openssl', ['x509', '-in', join(dir, 'client.pem'), '-noout', '-subject']).toString();
  t.match(subject, /CN = alice, O = devs/);
});
