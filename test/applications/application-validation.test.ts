// Which Director data the conversion refuses (and why), with both sides of every limit pinned; and
// the `app` label of Application Secrets, which must be a valid label value whatever the name.
import t from 'tap';
import { convertApplication } from '../../src/applications/converter.js';
import { MAX_APPLICATION_BYTES, MAX_SECRET_DATA_BYTES } from '../../src/applications/application-validation.js';
import { isCompassId, isLabelValue, isObjectName, secretAppLabelValue } from '../../src/applications/naming.js';
import { agentOwnSecrets } from '../../src/applications/protected-secrets.js';
import { api, application, basicAuth, bundle, options } from './director-fixtures.js';

const UUID = '0f4e3e40-7a23-4b8c-9b7e-1b2c3d4e5f60';
const protectedSecrets = agentOwnSecrets({
  agentConfigurationSecret: { namespace: 'kyma-system', name: 'compass-agent-configuration' },
  clusterCertificatesSecret: { namespace: 'kyma-system', name: 'cluster-client-certificates' },
  caCertificatesSecret: { namespace: 'istio-system', name: 'ca-certificates' },
});

const withCredentials = (bundleId: string) => ({
  bundles: [bundle(bundleId, 'B', { apiDefinitions: [api('a1', 'A')], defaultInstanceAuth: basicAuth('user', 'pass-word-1') })],
});

function problems(id: string, directorName: string, crName = directorName, extra = {}): string[] {
  return convertApplication(application(id, directorName, extra), crName, { ...options, protectedSecrets }).problems;
}

t.test('a well-formed application has no problems', async (t) => {
  t.same(problems(UUID, 'shop', 'shop', withCredentials(UUID)), []);
  t.same(problems('id-1', 'mp-shop.example.com', 'mp-shop.example.com', withCredentials('b1')), [], 'short ids and dotted names are fine');
});

t.test('ids form names only when they are Compass ids: 36 characters pass, 37 do not', async (t) => {
  t.ok(isCompassId(UUID));
  t.ok(isCompassId('a'.repeat(36)));
  t.notOk(isCompassId('a'.repeat(37)));
  for (const bad of ['', 'Upper', 'a/b', 'a.b', '-a', 'a-', 'a b', '../x']) t.notOk(isCompassId(bad), JSON.stringify(bad));

  t.same(problems('a'.repeat(36), 'shop', 'shop', withCredentials('b'.repeat(36))), []);
  t.match(problems('a'.repeat(37), 'shop'), [/^its id "a{37}" is not a Compass id/]);
  t.match(problems('id', 'shop', 'shop', withCredentials('b'.repeat(37))), [/^bundle id "b{37}" is not a Compass id/]);
  t.match(problems('id', 'shop', 'shop', withCredentials('Certs/Key')), [/^bundle id "Certs\/Key" is not a Compass id/]);
  const twice = { bundles: [bundle('b1', 'One'), bundle('b1', 'Two')] };
  t.match(problems('id', 'shop', 'shop', twice), [/bundle id "b1" appears more than once/]);
});

t.test('names: empty is refused, a name the API server refuses is refused; 253 characters pass, 254 do not', async (t) => {
  t.match(problems('id', '', 'mp'), ['its name is empty'], 'even when normalisation would make a name of it');
  t.match(problems('id', 'Bad_Name'), [/^its name "Bad_Name" is not a valid Application name .*isNormalized=true/]);
  const longest = `${'a'.repeat(61)}.${'b'.repeat(61)}.${'c'.repeat(61)}.${'d'.repeat(67)}`;
  t.equal(longest.length, 253);
  t.ok(isObjectName(longest));
  t.same(problems('id', longest), []);
  t.notOk(isObjectName(`${longest}e`));
  t.match(problems('id', `${longest}e`), [/is not a valid Application name/]);
});

t.test("a Secret name that would be one of the agent's own Secrets is refused, whatever the ids", async (t) => {
  t.match(problems('id', 'cluster-client', 'cluster-client', withCredentials('certificates')), [
    /^the Secret of bundle certificates would be kyma-system\/cluster-client-certificates, which is the agent's client certificate Secret \(APP_CLUSTER_CERTIFICATES_SECRET\); the agent never writes or deletes it/,
  ]);
  t.match(problems('id', 'compass-agent', 'compass-agent', withCredentials('configuration')), [
    /kyma-system\/compass-agent-configuration, which is the agent's configuration Secret/,
  ]);
  const headersOnly = {
    bundles: [bundle('certificates', 'B', { defaultInstanceAuth: basicAuth('', '', { additionalHeaders: { h: ['v'] } }) })],
  };
  t.same(problems('id', 'cluster-client', 'cluster-client', headersOnly), [], 'params-cluster-client-certificates is another name');
  t.same(problems('id', 'cluster-client', 'cluster-client', withCredentials('certificates-2')), [], 'a different name passes');
});

t.test('a Secret name the API server refuses is refused (a dot at the cut)', async (t) => {
  const name = `${'a'.repeat(25)}.example.com`; // cut to 26 characters it ends with '.'
  t.match(problems('id', name, name, withCredentials('b1')), [
    /the Secret name "a{25}\.-b1" formed for bundle b1 is not a valid Kubernetes object name/,
  ]);
});

t.test(
  'size: an Application of exactly the limit passes, one byte more is refused; the message never quotes the description',
  async (t) => {
    const base = convertApplication(application('id', 'shop', { description: 'x' }), 'shop', options);
    const overhead = Buffer.byteLength(JSON.stringify(base.application)) - 1;
    const fits = 'd'.repeat(MAX_APPLICATION_BYTES - overhead);
    t.same(problems('id', 'shop', 'shop', { description: fits }), []);
    const refused = problems('id', 'shop', 'shop', { description: `${fits}d` });
    t.match(refused, [
      new RegExp(
        `^the Application would be ${MAX_APPLICATION_BYTES + 1} bytes \\(its description ${MAX_APPLICATION_BYTES - overhead + 1}\\), more than the ${MAX_APPLICATION_BYTES}`,
      ),
    ]);
    t.ok(refused[0].length < 300, 'no description text in the message');
  },
);

t.test('Secret data: 1 MiB passes, one byte more is refused, without the data in the message', async (t) => {
  const headerBytes = (value: string) => Buffer.byteLength(JSON.stringify({ h: [value] }));
  const fill = 'v'.repeat(MAX_SECRET_DATA_BYTES - headerBytes(''));
  const withHeader = (value: string) => ({
    bundles: [bundle('b1', 'B', { defaultInstanceAuth: basicAuth('', '', { additionalHeaders: { h: [value] } }) })],
  });
  t.equal(headerBytes(fill), MAX_SECRET_DATA_BYTES);
  t.same(problems('id', 'shop', 'shop', withHeader(fill)), []);
  const refused = problems('id', 'shop', 'shop', withHeader(`${fill}v`));
  t.match(refused, [
    `the Secret of bundle b1 would hold ${MAX_SECRET_DATA_BYTES + 1} bytes of data, more than the ${MAX_SECRET_DATA_BYTES} the API server accepts`,
  ]);
  t.notMatch(refused[0], /vvvv/);
});

t.test('the app label of Secrets: the name itself up to 63 characters, a 63-character hashed form beyond', async (t) => {
  const at63 = `mp-${'a'.repeat(60)}`;
  t.equal(secretAppLabelValue(at63), at63, '63 characters: the name, as the reference agent writes it');
  const at64 = `${at63}b`;
  const label64 = secretAppLabelValue(at64);
  t.not(label64, at64);
  t.equal(label64.length, 63);
  t.ok(isLabelValue(label64));
  t.notOk(isLabelValue(at64), 'the name itself would be refused');
  t.match(label64, /^mp-a{49}-[0-9a-f]{10}$/);
  t.equal(secretAppLabelValue(at64), label64, 'stable');
  t.not(secretAppLabelValue(`${at63}c`), label64, 'names that share the kept part still differ');
  const dotted = `${'a'.repeat(51)}.${'b'.repeat(200)}`;
  t.ok(isLabelValue(secretAppLabelValue(dotted)), 'a cut that ends in a dot still gives a valid value');
  t.ok(isLabelValue(secretAppLabelValue('-weird name!')), 'even an invalid name gives a valid value');
  const desired = convertApplication(application('id', at64, withCredentials('b1')), at64, options);
  t.same(
    desired.secrets.map((secret) => secret.metadata.labels),
    [{ app: label64, bundleId: 'b1' }],
  );
  t.equal(desired.application.spec.labels?.['connected-app'], at64, 'spec.labels keeps the whole name (not a label)');
});
