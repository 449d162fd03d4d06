import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueClientCertificate } from '../../sim/tls/certificate-authority.js';
import { parseSubject, formatSubject, SubjectParseError } from '../../adapters/pki/subject.js';
import { generateSigningRequest, generateRsaKeyPair } from '../../adapters/pki/csr.js';
import {
  parseCertificates,
  parseCertificate,
  keyMatchesCertificate,
  sha256Fingerprint,
  toRfc3339,
  CertificateError,
} from '../../adapters/pki/certificate.js';
import { decodeCertificationResult, CredentialsError } from '../../adapters/pki/credentials.js';
import { decodePemBlocks, PemError } from '../../adapters/pki/pem.js';

const dir = mkdtempSync(join(tmpdir(), 'pki-'));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const b64 = (text: string) => Buffer.from(text).toString('base64');

t.test('subject parser', async (t) => {
  t.test('orders the Connector subject C, ST, L, O, OU, CN and trims', async (t) => {
    const { attributes, ignoredTypes } = parseSubject(' O=Org , OU=OrgUnit,L=locality ,ST= province,C=DE,CN=4b1f-id ');
    t.same(attributes, [
      { type: 'C', value: 'DE' },
      { type: 'ST', value: 'province' },
      { type: 'L', value: 'locality' },
      { type: 'O', value: 'Org' },
      { type: 'OU', value: 'OrgUnit' },
      { type: 'CN', value: '4b1f-id' },
    ]);
    t.same(ignoredTypes, []);
  });
  t.test('keeps every value of a repeated attribute in the given order', async (t) => {
    const { attributes } = parseSubject('OU=first,CN=id,OU=second,O=Org');
    t.same(attributes, [
      { type: 'O', value: 'Org' },
      { type: 'OU', value: 'first' },
      { type: 'OU', value: 'second' },
      { type: 'CN', value: 'id' },
    ]);
  });
  t.test('resolves RFC 4514 escapes, hex escapes and quoted values', async (t) => {
    const { attributes } = parseSubject('O=Acme\\, Inc.,OU=a\\+b,L=M\\C3\\BCnchen,ST="quoted, value",CN=id\\ ');
    t.same(
      attributes.map((a) => a.value),
      ['quoted, value', 'München', 'Acme, Inc.', 'a+b', 'id '],
    );
    t.equal(formatSubject(attributes), 'ST=quoted\\, value,L=München,O=Acme\\, Inc.,OU=a\\+b,CN=id\\ ');
  });
  t.test('splits multi-valued RDNs and accepts case-insensitive types and OIDs', async (t) => {
    const { attributes } = parseSubject('cn=id+o=Org;2.5.4.6=PL');
    t.same(attributes, [
      { type: 'C', value: 'PL' },
      { type: 'O', value: 'Org' },
      { type: 'CN', value: 'id' },
    ]);
  });
  t.test('ignores unknown attribute types but reports them', async (t) => {
    const { attributes, ignoredTypes } = parseSubject('E=a@b.c,CN=id,DC=example,DC=com');
    t.same(attributes, [{ type: 'CN', value: 'id' }]);
    t.same(ignoredTypes, ['E', 'DC']);
  });
  t.test('a missing attribute is absent, not empty', async (t) => {
    t.same(parseSubject('CN=id,C=DE').attributes, [
      { type: 'C', value: 'DE' },
      { type: 'CN', value: 'id' },
    ]);
  });
  t.test('rejects malformed subjects with a clear error', async (t) => {
    t.throws(() => parseSubject('O=Org,OrgUnit,CN=id'), { name: 'SubjectParseError', message: /segment without "=" \("OrgUnit"\)/ });
    t.throws(() => parseSubject(''), { message: /subject from the Connector is empty/ });
    t.throws(() => parseSubject('   '), SubjectParseError);
    t.throws(() => parseSubject('O=Org,,CN=id'), { message: /empty segment at position 6/ });
    t.throws(() => parseSubject('=x,CN=id'), { message: /without an attribute type/ });
    t.throws(() => parseSubject('O=Org,C=DE'), { message: /has no CN/ });
    t.throws(() => parseSubject('CN=id\\'), { message: /lone backslash/ });
  });
});

t.test('CSR and key', async (t) => {
  const subject = 'O=Org,OU=OrgUnit,L=locality,ST=province,C=DE,CN=4b1f5a2e-id';
  const request = await generateSigningRequest(subject, 2048);
  t.equal(Buffer.from(request.csrWire, 'base64').toString('utf8'), request.csrPem, 'the wire form is base64 of the PEM text');
  t.match(request.csrPem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
  t.match(request.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----\n/, 'PKCS#1');

  t.test('openssl verifies the CSR and sees one RDN per attribute in the order C, ST, L, O, OU, CN', async (t) => {
    const csrFile = write('req.pem', request.csrPem);
    const run = spawnSync('openssl', ['req', '-in', csrFile, '-verify', '-noout', '-text'], { encoding: 'utf8' });
    t.equal(run.status, 0, 'openssl req -verify succeeds');
    t.match(run.stderr + run.stdout, /verify OK/i);
    const out = run.stdout;
    t.match(out, /Subject: C\s?=\s?DE, ST\s?=\s?province, L\s?=\s?locality, O\s?=\s?Org, OU\s?=\s?OrgUnit, CN\s?=\s?4b1f5a2e-id\n/);
    t.notMatch(out, / \+ /, 'no multi-valued RDN');
    t.match(out, /sha256WithRSAEncryption/);
    t.match(out, /Public-Key: \(2048 bit\)/);
    t.notMatch(out, /X509v3/, 'no extensions');
    const asn1 = openssl('asn1parse', '-in', csrFile);
    t.match(asn1, /PRINTABLESTRING\s+:DE/, 'C is a PrintableString');
    t.match(asn1, /UTF8STRING\s+:Org\n/, 'O is a UTF8String');
  });

  t.test('openssl accepts the PKCS#1 key and it belongs to the CSR', async (t) => {
    const keyFile = write('key.pem', request.privateKeyPem);
    t.match(openssl('rsa', '-in', keyFile, '-check', '-noout'), /RSA key ok/);
    const keyModulus = openssl('rsa', '-in', keyFile, '-noout', '-modulus');
    const csrModulus = openssl('req', '-in', write('req2.pem', request.csrPem), '-noout', '-modulus');
    t.equal(keyModulus, csrModulus);
  });

  t.test('each request gets a new key', async (t) => {
    const again = await generateSigningRequest(subject, 2048);
    t.not(again.privateKeyPem, request.privateKeyPem);
  });

  t.test('a subject with repeated OU and escaped comma encodes both values', async (t) => {
    const other = await generateSigningRequest('OU=one,OU=two,O=Acme\\, Inc.,CN=x', 2048);
    const out = openssl('req', '-in', write('req3.pem', other.csrPem), '-noout', '-subject', '-nameopt', 'RFC2253');
    t.equal(out.trim(), 'subject=CN=x,OU=two,OU=one,O=Acme\\, Inc.', 'RFC 2253 prints in reverse encoding order');
  });

  t.test('the product default is a 4096-bit key; silly sizes are refused', async (t) => {
    await t.rejects(generateRsaKeyPair(512), { name: 'RangeError', message: /RSA key size 512 is not supported/ });
  });
});

t.test('certificates, credentials and PEM', async (t) => {
  const ca = await createCertificateAuthority('pki-test-ca');
  const notBefore = new Date('2030-01-01T00:00:00Z');
  const notAfter = new Date('2030-04-01T12:30:00Z');
  const client = await issueClientCertificate(ca, 'CN=client-id, O=Org', { notBefore, notAfter });
  const other = await issueClientCertificate(ca, 'CN=other');

  t.test('parses validity dates, names and fingerprint of every block of a bundle', async (t) => {
    const bundle = client.certPem + ca.certPem;
    const certs = parseCertificates(bundle);
    t.equal(certs.length, 2);
    t.equal(certs[0].notBefore.toISOString(), notBefore.toISOString());
    t.equal(certs[0].notAfter.toISOString(), notAfter.toISOString());
    t.equal(toRfc3339(certs[0].notAfter), '2030-04-01T12:30:00Z');
    t.match(certs[0].subject, /CN=client-id/);
    t.match(certs[0].issuer, /CN=pki-test-ca/);
    t.equal(
      certs[0].sha256Fingerprint,
      Buffer.from(client.cert.rawData).length > 0 ? sha256Fingerprint(new Uint8Array(client.cert.rawData)) : '',
    );
    const opensslFingerprint = openssl('x509', '-in', write('client.pem', client.certPem), '-noout', '-fingerprint', '-sha256')
      .split('=')[1]
      .trim()
      .replace(/:/g, '')
      .toLowerCase();
    t.equal(certs[0].sha256Fingerprint, opensslFingerprint);
    t.equal(parseCertificate(bundle).sha256Fingerprint, certs[0].sha256Fingerprint);
  });

  t.test('tells whether a key belongs to a certificate', async (t) => {
    t.equal(keyMatchesCertificate(client.keyPem, client.certPem), true);
    t.equal(keyMatchesCertificate(other.keyPem, client.certPem), false);
    t.throws(() => keyMatchesCertificate('not a key', client.certPem), {
      name: 'CertificateError',
      message: /private key PEM cannot be read/,
    });
  });

  t.test('rejects non-certificate blocks and garbage with errors that do not echo the input', async (t) => {
    t.throws(() => parseCertificates(client.keyPem), { name: 'CertificateError', message: /block 1 is a "PRIVATE KEY"/ });
    t.throws(() => parseCertificates('hello'), { message: /contains no PEM block/ });
    t.throws(() => parseCertificates('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), {
      message: /not a valid X\.509 certificate/,
    });
    t.throws(() => decodePemBlocks('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----', 'x'), PemError);
    t.throws(() => decodePemBlocks('-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----', 'x'), { message: /ends as "X509 CRL"/ });
    try {
      parseCertificates(client.keyPem);
    } catch (error) {
      t.notMatch((error as Error).message, /MII/, 'no key material in the message');
    }
  });

  t.test('decodes a CertificationResult', async (t) => {
    const credentials = decodeCertificationResult({
      clientCertificate: b64(client.certPem),
      certificateChain: b64(client.certPem + ca.certPem),
      caCertificate: b64(ca.certPem),
    });
    t.equal(credentials.clientCertificatePem, client.certPem);
    t.equal(credentials.certificateChainPem, client.certPem + ca.certPem);
    t.equal(credentials.caCertificatePem, ca.certPem);
    t.equal(credentials.certificate.notAfterRfc3339, '2030-04-01T12:30:00Z');
    t.equal(credentials.certificate.notBeforeRfc3339, '2030-01-01T00:00:00Z');
    t.equal(credentials.certificate.notAfter.getTime(), notAfter.getTime());
    // line-wrapped base64 (openssl base64) is accepted like Go does
    const wrapped = b64(client.certPem).replace(/.{76}/g, '$&\n');
    t.equal(
      decodeCertificationResult({ clientCertificate: wrapped, certificateChain: b64(client.certPem), caCertificate: b64(ca.certPem) })
        .clientCertificatePem,
      client.certPem,
    );
  });

  t.test('reports bad CertificationResult fields by name without their content', async (t) => {
    const good = {
      clientCertificate: b64(client.certPem),
      certificateChain: b64(client.certPem + ca.certPem),
      caCertificate: b64(ca.certPem),
    };
    const cases: [string, Record<string, string>, RegExp][] = [
      ['missing', { ...good, clientCertificate: '' }, /has no clientCertificate/],
      ['not base64', { ...good, caCertificate: 'not base64!' }, /caCertificate is not standard base64/],
      ['not PEM', { ...good, certificateChain: b64('plain text') }, /certificateChain does not decode to PEM/],
      ['not a certificate', { ...good, caCertificate: b64(client.keyPem) }, /caCertificate holds no usable certificate/],
      [
        'chain does not start with the client',
        { ...good, certificateChain: b64(ca.certPem + client.certPem) },
        /first certificate is not the clientCertificate/,
      ],
    ];
    for (const [name, input, message] of cases) {
      const error = t.throws(() => decodeCertificationResult(input as never), CredentialsError, name) as Error;
      t.match(error?.message, message, name);
      t.notMatch(error?.message, /LS0tLS1|MII/, `${name}: no PEM or base64 content in the message`);
    }
    t.throws(() => parseCertificate(client.keyPem), CertificateError);
  });
});
