import t from 'tap';
import { labelsToSet } from '../../src/applications/apply-configuration.js';
import {
  centralGatewayUrl,
  credentialsSecretName,
  isSecretNameOfApplication,
  normalizeName,
  requestParametersSecretName,
  serviceName,
} from '../../src/applications/naming.js';
import { normalizeApplicationName, shouldNormalizeNames } from '../../src/applications/normalizer.js';

t.test('the normaliser maps the 20 reference vectors to mp-test-application', async (t) => {
  const vectors: [string, string][] = [
    ['upper case characters', 'tEsT-ApPlIcAtIoN'],
    ['a dot in the middle', 'test.application'],
    ['$ in the middle', 'test$application'],
    ['& in the middle', 'test&application'],
    ['@ in the middle', 'test@application'],
    ['a run of non-alphanumerics in the middle', 'test%.-&application'],
    ['a non-alphanumeric at the beginning', '!test-application'],
    ['a run of non-alphanumerics at the beginning', '!@#$%test-application'],
    ['a non-alphanumeric at the end', 'test-application%'],
    ['a run of non-alphanumerics at the end', 'test-application&*^%'],
    ['brackets and @', '[test@application]'],
    ['several dashes in the middle', 'test---application'],
    ['several dashes at the beginning', '---test-application'],
    ['several dashes at the end', 'test-application---'],
    ['dashes at the beginning, end and middle', '---test---application---'],
    ['a single trailing dash', 'test-application-'],
    ['dashes mixed with other characters at the end', 'test-application&--*^-%'],
    ['upper case, symbols and dashes', '---tEsT@ApPlIcAtIoN.!$'],
    ['an already clean name', 'test-application'],
    ['an already normalised mp- name', 'mp-test-application'],
  ];
  t.equal(vectors.length, 20);
  for (const [description, input] of vectors) {
    t.equal(normalizeApplicationName(input), 'mp-test-application', `${description}: ${input}`);
  }
});

t.test('the normaliser prefixes mp- names that are not yet normal instead of keeping them', async (t) => {
  t.equal(normalizeApplicationName('mp-Test'), 'mp-mp-test');
  t.equal(normalizeApplicationName('mp-a--b'), 'mp-mp-a-b');
  t.equal(normalizeApplicationName('mp-'), 'mp-mp');
  t.equal(normalizeApplicationName('mp-a1-b2'), 'mp-a1-b2');
});

t.test("lower-casing follows Go's strings.ToLower (simple case mapping), not JavaScript's full mapping", async (t) => {
  // Go: unicode.ToLower(U+0130 İ) = U+0069 i; JavaScript: "İ".toLowerCase() = "i" + U+0307.
  t.equal(normalizeApplicationName('İSTANBUL'), 'mp-istanbul', 'İ lowers to i alone');
  t.equal(normalizeApplicationName('Dİyarbakır'), 'mp-diyarbak-r', 'ı (dotless i) has no ASCII lower case: a separator');
  t.equal(normalizeApplicationName('\u212Aelvin'), 'mp-kelvin', 'the Kelvin sign lowers to k in both');
  t.equal(normalizeApplicationName('Straße'), 'mp-stra-e');
  t.equal(normalizeApplicationName('ΣΊΣΥΦΟΣ'), 'mp', 'letters without an ASCII lower case are all separators');
  t.equal(normalizeApplicationName('app\u{1F600}x'), 'mp-app-x', 'a character outside the BMP is one separator');
});

t.test('names are normalised unless the runtime label isNormalized is the string "true"', async (t) => {
  t.equal(shouldNormalizeNames({ isNormalized: 'true' }), false);
  t.equal(shouldNormalizeNames({ isNormalized: 'false' }), true);
  t.equal(shouldNormalizeNames({}), true, 'label missing');
  t.equal(shouldNormalizeNames(null), true, 'no labels at all');
  t.equal(shouldNormalizeNames({ isNormalized: true }), true, 'a JSON boolean is not the string "true"');
  t.equal(shouldNormalizeNames({ isNormalized: 'TRUE' }), true);
});

t.test('NormalizeName replaces runs, lowercases, trims one dash each side and cuts to 57', async (t) => {
  t.equal(normalizeName('DisplayName'), 'displayname');
  t.equal(normalizeName('My API  v1.0'), 'my-api-v1-0');
  t.equal(normalizeName('  leading and trailing  '), 'leading-and-trailing');
  t.equal(normalizeName('x'.repeat(80)), 'x'.repeat(57));
  // cut after the trailing trim: a dash at position 57 survives
  t.equal(normalizeName(`${'a'.repeat(56)}!b`), `${'a'.repeat(56)}-`);
  // leading dash trimmed after the cut, so the result may be 56 long
  t.equal(normalizeName(`!${'a'.repeat(70)}`), 'a'.repeat(56));
  t.equal(normalizeName(''), '');
});

t.test('service names are the normalised bundle name plus the first 5 hex of SHA-1(bundle id)', async (t) => {
  t.equal(serviceName('bundleName1', 'bundle1'), 'bundlename1-43857');
  t.equal(serviceName('DisplayName', 'id'), 'displayname-87ea5');
  t.equal(serviceName('!!Bundle', 'id'), 'bundle-87ea5', 'leading separator trimmed');
  t.equal(serviceName('', 'id'), '87ea5', 'an empty bundle name: the hash alone, no leading "-"');
  t.equal(serviceName('!!!', 'id'), '87ea5', 'a name that normalises to nothing: the hash alone');
  t.equal(serviceName('Ünïcödé', 'id'), 'n-c-d-87ea5', "letters outside A-Z are separators, as Go's [^A-Za-z0-9]+");
});

t.test('Secret names append the bundle id to the application name cut to 26 characters', async (t) => {
  const id = '0f4e3e40-7a23-4b8c-9b7e-1b2c3d4e5f60';
  t.equal(credentialsSecretName('short_application', id), `short_application-${id}`);
  t.equal(credentialsSecretName('max_application_aaaaaaaaaaaaaaaaa', id), `max_application_aaaaaaaaaa-${id}`);
  t.equal(requestParametersSecretName('short_application', id), `params-short_application-${id}`);
  t.equal(requestParametersSecretName('max_application_aaaaaaaaaa', id), `params-max_application_aaa-${id}`);
  t.equal(requestParametersSecretName('max_application_aaaaaaaaaa', id).length, 63);
  t.ok(isSecretNameOfApplication(`max_application_aaaaaaaaaa-${id}`, 'max_application_aaaaaaaaaaaaaaaaa'));
  t.ok(isSecretNameOfApplication(`params-short_application-${id}`, 'short_application'));
  t.notOk(isSecretNameOfApplication('kyma-gateway-certs', 'short_application'));
});

t.test('central gateway URLs normalise bundle and API names but not the application name', async (t) => {
  const gateway = 'http://central-application-gateway.kyma-system:8082';
  t.equal(centralGatewayUrl(gateway, 'mp-my-app', 'My Bundle', 'Orders API v2'), `${gateway}/mp-my-app/my-bundle/orders-api-v2`);
  t.equal(centralGatewayUrl(`${gateway}/`, 'App_1', 'b', 'a'), `${gateway}/App_1/b/a`, 'no double slash');
  const longApi = 'A very long API name that certainly exceeds the fifty-seven character limit';
  const url = centralGatewayUrl(gateway, 'app', 'b', longApi);
  t.equal(url.split('/').pop()!.length, 57);
});

t.test('labelsToSet returns only runtime URL labels that are missing or differ', async (t) => {
  const urls = { eventServiceUrl: 'https://gateway.example', consoleUrl: 'https://console.example' };
  t.same(
    labelsToSet({}, urls),
    [
      { key: 'runtime_eventServiceUrl', value: 'https://gateway.example' },
      { key: 'runtime_consoleUrl', value: 'https://console.example' },
    ],
    'both set when none present',
  );
  t.same(
    labelsToSet({ runtime_eventServiceUrl: 'https://gateway.example', runtime_consoleUrl: 'https://console.example' }, urls),
    [],
    'nothing when equal',
  );
  t.same(
    labelsToSet({ runtime_eventServiceUrl: 'https://old.example', runtime_consoleUrl: 'https://console.example' }, urls),
    [{ key: 'runtime_eventServiceUrl', value: 'https://gateway.example' }],
    'override when different',
  );
  t.same(
    labelsToSet({ runtime_consoleUrl: 'https://console.example' }, urls),
    [{ key: 'runtime_eventServiceUrl', value: 'https://gateway.example' }],
    'only the missing one',
  );
  t.same(labelsToSet(null, { consoleUrl: 'c' }), [{ key: 'runtime_consoleUrl', value: 'c' }], 'unconfigured URL skipped');
  t.same(
    labelsToSet({ runtime_consoleUrl: ['c'] }, { consoleUrl: 'c' }),
    [{ key: 'runtime_consoleUrl', value: 'c' }],
    'a non-string label value is replaced',
  );
});
