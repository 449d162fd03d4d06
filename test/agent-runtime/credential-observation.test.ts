// What the credential Secrets' watches tell the machine and the connection check (src/agent/credential-observation.ts).
import t from 'tap';
import { currentCredentials, sameObservedCredentials } from '../../src/agent/credential-observation.js';
import type { ObservedCredentials } from '../../machines/agent-events.js';

const validity = { notBefore: '2026-12-02T10:00:00Z', notAfter: '2027-03-02T10:00:00Z' };
const present: ObservedCredentials = { clientCertificateSecret: 'present', caCertificateSecret: 'present', certificateValidity: validity };

t.test('an observation is new to the machine when presence or validity differs, and only then', async (t) => {
  t.ok(sameObservedCredentials(present, { ...present, certificateValidity: { ...validity } }), 'equal content, other objects');
  t.notOk(sameObservedCredentials(present, { ...present, clientCertificateSecret: 'invalid' }), 'the client certificate Secret');
  t.notOk(sameObservedCredentials(present, { ...present, caCertificateSecret: 'missing' }), 'the CA Secret');
  t.notOk(
    sameObservedCredentials(present, { ...present, certificateValidity: { ...validity, notBefore: '2026-12-02T10:00:01Z' } }),
    'notBefore',
  );
  t.notOk(
    sameObservedCredentials(present, { ...present, certificateValidity: { ...validity, notAfter: '2027-03-02T10:00:01Z' } }),
    'notAfter',
  );
  const missing: ObservedCredentials = { clientCertificateSecret: 'missing', caCertificateSecret: 'present' };
  t.ok(sameObservedCredentials(missing, { ...missing }), 'no certificate on either side');
  t.notOk(sameObservedCredentials(missing, { ...missing, certificateValidity: validity }), 'a validity on one side only');
});

t.test('a check may go by the deliveries only while both watches are current', async (t) => {
  const cluster = { data: { crt: 'c', key: 'k' }, current: true };
  const ca = { data: { cacert: 'a' }, current: true };
  t.same(currentCredentials(cluster, ca), { cluster: cluster.data, ca: ca.data }, 'both current: what they delivered');
  t.same(
    currentCredentials(cluster, { data: null, current: true }),
    { cluster: cluster.data, ca: null },
    'a deleted Secret is a delivery too',
  );
  t.equal(currentCredentials({ ...cluster, current: false }, ca), undefined, 'the client-certificate watch failed');
  t.equal(currentCredentials(cluster, { ...ca, current: false }), undefined, 'the CA watch failed');
});
