import t from 'tap';
import {
  loadConfig,
  parseNamespacedName,
  ConfigError,
  CONFIG_VARIABLES,
  describeConfig,
  insecureCompassSettings,
} from '../../src/config.js';
import { parseGoDuration } from '../../src/go-duration.js';

t.test('namespaced names follow the reference vectors (§1.4)', async (t) => {
  t.same(parseNamespacedName('kyma-system/ca-secret'), { namespace: 'kyma-system', name: 'ca-secret' });
  t.same(parseNamespacedName('ca-secret'), { namespace: 'default', name: 'ca-secret' });
  t.same(parseNamespacedName('/ca-secret'), { namespace: 'default', name: 'ca-secret' });
  t.same(parseNamespacedName('ca-secret/'), { namespace: 'default', name: 'ca-secret' });
  t.same(parseNamespacedName('/'), { namespace: 'default', name: '' });
  t.same(parseNamespacedName(''), { namespace: 'default', name: '' });
  t.same(parseNamespacedName('a/b/c'), { namespace: 'a', name: 'b' }, 'only the first two segments are used');
});

t.test('Go durations parse as the reference writes them', async (t) => {
  t.equal(parseGoDuration('20s'), 20_000);
  t.equal(parseGoDuration('1m30s'), 90_000);
  t.equal(parseGoDuration('1.5h'), 5_400_000);
  t.equal(parseGoDuration('300ms'), 300);
  t.equal(parseGoDuration('0'), 0);
  t.equal(parseGoDuration('-2s'), -2000);
  t.throws(() => parseGoDuration('20'), /invalid duration "20"/);
  t.throws(() => parseGoDuration('s'), /invalid duration/);
  t.throws(() => parseGoDuration('-'), /invalid duration/);
});

t.test('defaults are the reference code defaults', async (t) => {
  const c = loadConfig({});
  t.same(c.agentConfigurationSecret, { namespace: 'kyma-system', name: 'compass-agent-configuration' });
  t.equal(c.controllerSyncPeriodMs, 20_000);
  t.equal(c.minimalCompassSyncTimeMs, 10_000);
  t.equal(c.certValidityRenewalThreshold, 0.3);
  t.same(c.clusterCertificatesSecret, { namespace: 'kyma-system', name: 'cluster-client-certificates' });
  t.same(c.caCertificatesSecret, { namespace: 'istio-system', name: 'ca-certificates' });
  t.equal(c.skipCompassTlsVerify, false, 'TLS verification is on by default');
  t.equal(c.skipAppsTlsVerify, false);
  t.equal(c.centralGatewayServiceUrl, 'http://central-application-gateway.kyma-system.svc.cluster.local:8082');
  t.equal(c.healthPort, 8090);
  t.equal(c.integrationNamespace, 'kyma-system');
  t.equal(c.runtimeEventsUrl, undefined, 'unset: the Runtime label is left as it is, not overwritten with an example value');
  t.equal(c.runtimeConsoleUrl, undefined);
  t.equal(c.rsaKeyBits, 4096, 'the product default stays RSA 4096');
  t.equal(c.eventLogFile, undefined);
  t.equal(c.eventLogMaxBytes, 10 * 1024 * 1024, 'the event log rotates at 10 MiB');
  t.equal(c.allowInsecureCompassHttp, false, 'plain http is refused by default');
  t.same(c.debugAddress, { host: '127.0.0.1', port: 8091 }, '/debug on loopback by default');
  t.same(insecureCompassSettings(c), [], 'no insecure setting by default');
  t.equal(describeConfig(c).caCertificatesSecret, 'istio-system/ca-certificates');
  t.equal(describeConfig(c).debugAddress, '127.0.0.1:8091');
});

t.test('the shipped manifest values are accepted', async (t) => {
  const c = loadConfig({
    APP_CONTROLLER_SYNC_PERIOD: '180s',
    APP_MINIMAL_COMPASS_SYNC_TIME: '15s',
    APP_CERT_VALIDITY_RENEWAL_THRESHOLD: '0.3',
    APP_CA_CERTIFICATES_SECRET: 'istio-system/kyma-gateway-certs-cacert',
    APP_SKIP_COMPASS_TLS_VERIFY: 'true',
    APP_UPLOAD_SERVICE_URL: '',
    APP_RUNTIME_EVENTS_URL: 'https://gateway.example.com/',
    APP_EVENT_LOG_FILE: '/tmp/events.jsonl',
  });
  t.equal(c.controllerSyncPeriodMs, 180_000);
  t.equal(c.minimalCompassSyncTimeMs, 15_000);
  t.equal(c.caCertificatesSecret.name, 'kyma-gateway-certs-cacert');
  t.equal(c.skipCompassTlsVerify, true);
  t.equal(c.runtimeEventsUrl, 'https://gateway.example.com', 'a trailing slash is dropped');
  t.equal(c.eventLogFile, '/tmp/events.jsonl');
  t.same(insecureCompassSettings(c), ['APP_SKIP_COMPASS_TLS_VERIFY'], 'the shipped lab value is named as an insecure setting');
});

t.test('the security settings: lab-only http, where /debug listens, the event log size', async (t) => {
  const c = loadConfig({ APP_ALLOW_INSECURE_COMPASS_HTTP: 'true', APP_DEBUG_ADDRESS: 'off', APP_EVENT_LOG_MAX_SIZE: '64Ki' });
  t.equal(c.allowInsecureCompassHttp, true);
  t.same(insecureCompassSettings(c), ['APP_ALLOW_INSECURE_COMPASS_HTTP']);
  t.equal(c.debugAddress, null, 'off: no /debug');
  t.equal(describeConfig(c).debugAddress, 'off');
  t.equal(c.eventLogMaxBytes, 65_536);
  t.same(
    loadConfig({ APP_DEBUG_ADDRESS: '0.0.0.0:9000' }).debugAddress,
    { host: '0.0.0.0', port: 9000 },
    'exposing it takes naming another host',
  );
  t.same(loadConfig({ APP_DEBUG_ADDRESS: '[::1]:8091' }).debugAddress, { host: '::1', port: 8091 });
  t.equal(loadConfig({ APP_EVENT_LOG_MAX_SIZE: '2Mi' }).eventLogMaxBytes, 2 * 1024 * 1024);
  t.equal(loadConfig({ APP_EVENT_LOG_MAX_SIZE: '5000' }).eventLogMaxBytes, 5000);
});

t.test('a malformed value names the variable and says what is expected', async (t) => {
  const cases: [Record<string, string>, string, RegExp][] = [
    [{ APP_CONTROLLER_SYNC_PERIOD: '20' }, 'APP_CONTROLLER_SYNC_PERIOD', /Go duration syntax/],
    [{ APP_CONTROLLER_SYNC_PERIOD: '10ms' }, 'APP_CONTROLLER_SYNC_PERIOD', /too short/],
    [{ APP_CERT_VALIDITY_RENEWAL_THRESHOLD: 'abc' }, 'APP_CERT_VALIDITY_RENEWAL_THRESHOLD', /between 0 and 1/],
    [{ APP_CERT_VALIDITY_RENEWAL_THRESHOLD: '1.5' }, 'APP_CERT_VALIDITY_RENEWAL_THRESHOLD', /between 0 and 1/],
    [{ APP_SKIP_COMPASS_TLS_VERIFY: 'yes please' }, 'APP_SKIP_COMPASS_TLS_VERIFY', /not a boolean/],
    [{ APP_ALLOW_INSECURE_COMPASS_HTTP: 'sure' }, 'APP_ALLOW_INSECURE_COMPASS_HTTP', /not a boolean/],
    [{ APP_DEBUG_ADDRESS: '8091' }, 'APP_DEBUG_ADDRESS', /not HOST:PORT/],
    [{ APP_DEBUG_ADDRESS: '127.0.0.1:70000' }, 'APP_DEBUG_ADDRESS', /not HOST:PORT/],
    [{ APP_EVENT_LOG_MAX_SIZE: '10MB' }, 'APP_EVENT_LOG_MAX_SIZE', /use bytes, Ki or Mi/],
    [{ APP_EVENT_LOG_MAX_SIZE: '100' }, 'APP_EVENT_LOG_MAX_SIZE', /at least 4096 bytes/],
    [{ APP_HEALTH_PORT: '80a' }, 'APP_HEALTH_PORT', /whole number/],
    [{ APP_HEALTH_PORT: '70000' }, 'APP_HEALTH_PORT', /whole number/],
    [{ APP_AGENT_CONFIGURATION_SECRET: '/' }, 'APP_AGENT_CONFIGURATION_SECRET', /not a Secret reference/],
    [{ APP_CA_CERTIFICATES_SECRET: 'Bad_NS/name' }, 'APP_CA_CERTIFICATES_SECRET', /not a valid namespace/],
    [{ APP_RUNTIME_CONSOLE_URL: 'console' }, 'APP_RUNTIME_CONSOLE_URL', /not an http\(s\) URL/],
    [{ APP_CENTRAL_GATEWAY_SERVICE_URL: 'ftp://x' }, 'APP_CENTRAL_GATEWAY_SERVICE_URL', /not an http\(s\) URL/],
    [{ APP_RSA_KEY_BITS: '3000' }, 'APP_RSA_KEY_BITS', /not supported/],
    [{ APP_INTEGRATION_NAMESPACE: 'Kyma' }, 'APP_INTEGRATION_NAMESPACE', /not a valid namespace/],
    [{ APP_LOG_LEVEL: 'loud' }, 'APP_LOG_LEVEL', /not a log level/],
    [{ APP_RETRY_INITIAL_DELAY: '10m', APP_RETRY_MAX_DELAY: '1m' }, 'APP_RETRY_MAX_DELAY', /not be shorter/],
  ];
  for (const [env, variable, message] of cases) {
    try {
      loadConfig(env);
      t.fail(`${variable}=${JSON.stringify(env)} was accepted`);
    } catch (err) {
      t.type(err, ConfigError);
      t.equal((err as ConfigError).variable, variable);
      t.match((err as Error).message, message);
      t.match((err as Error).message, new RegExp(`^${variable}: `));
    }
  }
});

t.test('every variable has a default and a description for the README', async (t) => {
  const names = new Set(CONFIG_VARIABLES.map((v) => v.name));
  t.equal(names.size, CONFIG_VARIABLES.length, 'no duplicates');
  for (const v of CONFIG_VARIABLES) t.ok(v.description.length > 10, v.name);
});
