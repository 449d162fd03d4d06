import t from 'tap';
import { desiredApplications } from '../../src/applications/apply-configuration.js';
import { convertApplication } from '../../src/applications/converter.js';
import type { DirectorAuth } from '../../adapters/compass/director-types.js';
import { api, application, basicAuth, bundle, decode, event, oauth, options } from './director-fixtures.js';

const gateway = options.centralGatewayUrl;

t.test('an application without bundles becomes an Application with services: [] and every always-emitted field', async (t) => {
  const desired = convertApplication(application('app-id', 'App One', { auths: [{ id: 'a1' }, { id: 'a2' }] }), 'mp-app-one', options);
  t.same(desired.secrets, []);
  t.strictSame(JSON.parse(JSON.stringify(desired.application)), {
    apiVersion: 'applicationconnector.kyma-project.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'mp-app-one', labels: { 'applicationconnector.kyma-project.io/managed-by': 'compass-runtime-agent' } },
    spec: {
      description: 'App One description',
      services: [],
      labels: { 'connected-app': 'mp-app-one' },
      compassMetadata: { applicationId: 'app-id', authentication: { clientIds: ['a1', 'a2'] } },
      displayName: '',
      providerDisplayName: '',
      longDescription: '',
      skipVerify: false,
      encodeUrl: false,
    },
  });
});

t.test('skipVerify comes from the configuration and clientIds is a list even without auths', async (t) => {
  const desired = convertApplication(application('id', 'x', { auths: [] }), 'x', { ...options, skipAppsTlsVerify: true });
  t.equal(desired.application.spec.skipVerify, true);
  t.strictSame(desired.application.spec.compassMetadata!.authentication.clientIds, []);
});

t.test('an empty or null description becomes "Description not provided" for the app and its bundles', async (t) => {
  const app = application('id', 'x', { description: '', bundles: [bundle('b1', 'B', { description: null })] });
  const desired = convertApplication(app, 'x', options);
  t.equal(desired.application.spec.description, 'Description not provided');
  t.equal(desired.application.spec.services[0].description, 'Description not provided');
  t.equal(
    convertApplication(application('id', 'x', { description: null }), 'x', options).application.spec.description,
    'Description not provided',
  );
});

t.test('a bundle with OAuth and CSRF gives OAuth credentials on every API entry and one credentials Secret', async (t) => {
  const app = application('app-id', 'App', {
    bundles: [
      bundle('bundle-1', 'Orders Bundle', {
        instanceAuthRequestInputSchema: '{"type":"object"}',
        apiDefinitions: [api('api-1', 'Orders API'), api('api-2', 'Returns API')],
        defaultInstanceAuth: oauth('client-id-1', 'client-secret-1', 'https://oauth.example/token', {
          requestAuth: { csrf: { tokenEndpointURL: 'https://csrf.example/token' } },
        }),
      }),
    ],
  });
  const desired = convertApplication(app, 'mp-app', options);
  const service = desired.application.spec.services[0];
  t.strictSame(
    { ...service, entries: undefined },
    {
      id: 'bundle-1',
      identifier: '',
      name: 'orders-bundle-' + service.name.slice(-5),
      displayName: 'Orders Bundle',
      description: 'Orders Bundle description',
      providerDisplayName: '',
      authCreateParameterSchema: '{"type":"object"}',
      entries: undefined,
    },
  );
  t.strictSame(service.entries[0], {
    id: 'api-1',
    name: 'Orders API',
    type: 'API',
    gatewayUrl: '',
    centralGatewayUrl: `${gateway}/mp-app/orders-bundle/orders-api`,
    targetUrl: 'https://target.example/api-1',
    credentials: {
      type: 'OAuth',
      secretName: 'mp-app-bundle-1',
      authenticationUrl: 'https://oauth.example/token',
      csrfInfo: { tokenEndpointURL: 'https://csrf.example/token' },
    },
  });
  t.equal(service.entries[1].credentials.secretName, 'mp-app-bundle-1', 'entries share the bundle credentials');
  t.equal(service.entries[1].centralGatewayUrl, `${gateway}/mp-app/orders-bundle/returns-api`);
  t.equal(desired.secrets.length, 1);
  const secret = desired.secrets[0];
  t.same(secret.metadata, { name: 'mp-app-bundle-1', namespace: 'kyma-system', labels: { app: 'mp-app', bundleId: 'bundle-1' } });
  t.same(Object.keys(secret.data!).sort(), ['clientId', 'clientSecret']);
  t.equal(decode(secret.data!.clientId), 'client-id-1');
  t.equal(decode(secret.data!.clientSecret), 'client-secret-1');
  t.notOk(JSON.stringify(desired.application).includes('client-secret-1'), 'the CR never holds the credential');
});

t.test('a bundle with Basic credentials and request parameters gives two Secrets and both references', async (t) => {
  const app = application('app-id', 'App', {
    bundles: [
      bundle('bundle-2', 'B', {
        apiDefinitions: [api('api-1', 'A')],
        defaultInstanceAuth: basicAuth('user-1', 'password-1', {
          additionalHeaders: { 'X-Z': ['z'], 'X-A': ['a1', 'a2'] },
          additionalQueryParams: { q: ['1'] },
        }),
      }),
    ],
  });
  const desired = convertApplication(app, 'app', options);
  const entry = desired.application.spec.services[0].entries[0];
  t.strictSame(entry.credentials, { type: 'Basic', secretName: 'app-bundle-2' });
  t.equal(entry.requestParametersSecretName, 'params-app-bundle-2');
  const [credentials, parameters] = desired.secrets;
  t.equal(decode(credentials.data!.username), 'user-1');
  t.equal(decode(credentials.data!.password), 'password-1');
  t.equal(parameters.metadata.name, 'params-app-bundle-2');
  t.same(parameters.metadata.labels, { app: 'app', bundleId: 'bundle-2' });
  t.equal(decode(parameters.data!.headers), '{"X-A":["a1","a2"],"X-Z":["z"]}', 'JSON with sorted keys');
  t.equal(decode(parameters.data!.queryParameters), '{"q":["1"]}');
});

t.test('request parameters alone give a parameters Secret and empty credentials; an absent map is omitted', async (t) => {
  const app = application('id', 'app', {
    bundles: [
      bundle('b', 'B', {
        apiDefinitions: [api('a', 'A')],
        defaultInstanceAuth: { credential: null, additionalHeaders: null, additionalQueryParams: { q: ['v'] }, requestAuth: null },
      }),
    ],
  });
  const desired = convertApplication(app, 'app', options);
  t.strictSame(desired.application.spec.services[0].entries[0].credentials, { type: '', secretName: '' });
  t.equal(desired.secrets.length, 1);
  t.same(Object.keys(desired.secrets[0].data!), ['queryParameters']);
});

t.test('the request-parameter Secret holds every map the Director sent, an empty one as "{}", as Go writes it', async (t) => {
  const parameters = (auth: Partial<DirectorAuth>) => {
    const app = application('id', 'app', {
      bundles: [bundle('b', 'B', { apiDefinitions: [api('a', 'A')], defaultInstanceAuth: basicAuth('user', 'password', auth) })],
    });
    const desired = convertApplication(app, 'app', options);
    const secret = desired.secrets.find((s) => s.metadata.name === 'params-app-b');
    return {
      reference: desired.application.spec.services[0].entries[0].requestParametersSecretName,
      data: secret ? Object.fromEntries(Object.entries(secret.data!).map(([key, value]) => [key, decode(value)])) : undefined,
    };
  };
  t.strictSame(
    parameters({ additionalHeaders: { h: ['v'] }, additionalQueryParams: {} }),
    { reference: 'params-app-b', data: { headers: '{"h":["v"]}', queryParameters: '{}' } },
    'headers, and query parameters empty: queryParameters "{}"',
  );
  t.strictSame(
    parameters({ additionalHeaders: {}, additionalQueryParams: { q: ['1'] } }),
    { reference: 'params-app-b', data: { headers: '{}', queryParameters: '{"q":["1"]}' } },
    'and the other way round',
  );
  t.strictSame(
    parameters({ additionalHeaders: { h: ['v'] }, additionalQueryParams: null }),
    { reference: 'params-app-b', data: { headers: '{"h":["v"]}' } },
    'a map the Director did not send is not written',
  );
  t.strictSame(
    parameters({ additionalHeaders: {}, additionalQueryParams: {} }),
    { reference: undefined, data: undefined },
    'both empty: no Secret and no reference',
  );
});

t.test("the request-parameter JSON is the bytes of Go's json.Marshal: HTML-safe escapes, keys in byte order", async (t) => {
  const headersOf = (additionalHeaders: Record<string, string[]>) => {
    const app = application('id', 'app', {
      bundles: [bundle('b', 'B', { apiDefinitions: [api('a', 'A')], defaultInstanceAuth: basicAuth('u', 'p', { additionalHeaders }) })],
    });
    return decode(convertApplication(app, 'app', options).secrets.find((s) => s.metadata.name === 'params-app-b')!.data!.headers);
  };
  t.equal(headersOf({ Cookie: ['a=1&b=<2>'] }), '{"Cookie":["a=1\\u0026b=\\u003c2\\u003e"]}', '&, < and > as \\u0026, \\u003c, \\u003e');
  t.equal(headersOf({ x: ['line\u2028para\u2029'] }), '{"x":["line\\u2028para\\u2029"]}', 'U+2028 and U+2029 escaped');
  t.equal(
    headersOf({ x: ['"quoted"\\ \n\t\u0001'] }),
    '{"x":["\\"quoted\\"\\\\ \\n\\t\\u0001"]}',
    'quotes, backslash and control characters as both write them',
  );
  t.equal(headersOf({ x: ['caf\u00e9 \u{1F600}'] }), '{"x":["caf\u00e9 \u{1F600}"]}', 'other characters as UTF-8, unescaped');
  t.equal(headersOf({ x: ['lone \ud800 surrogate'] }), '{"x":["lone \ufffd surrogate"]}', 'a lone surrogate as U+FFFD, as Go decoded it');
  t.equal(
    headersOf({ '\u{10000}': ['astral'], '\ufffd': ['bmp'], B: ['2'], a: ['1'] }),
    '{"B":["2"],"a":["1"],"\ufffd":["bmp"],"\u{10000}":["astral"]}',
    'keys sorted by their UTF-8 bytes (U+FFFD before U+10000)',
  );
});

t.test('incomplete or unknown credentials are never referenced, since no Secret is created for them', async (t) => {
  const cases = [
    basicAuth('user', ''),
    oauth('', 'secret', 'https://oauth.example'),
    {
      credential: { __typename: 'CertificateOAuthCredentialData' },
      additionalHeaders: {},
      additionalQueryParams: {},
      requestAuth: { csrf: { tokenEndpointURL: 'x' } },
    },
    { credential: null, additionalHeaders: null, additionalQueryParams: null, requestAuth: null },
  ];
  for (const auth of cases) {
    const app = application('id', 'app', { bundles: [bundle('b', 'B', { apiDefinitions: [api('a', 'A')], defaultInstanceAuth: auth })] });
    const desired = convertApplication(app, 'app', options);
    const entry = desired.application.spec.services[0].entries[0];
    t.strictSame(entry.credentials, { type: '', secretName: '' });
    t.notOk('requestParametersSecretName' in entry, 'empty parameter maps give no parameters Secret');
    t.same(desired.secrets, []);
  }
});

t.test('OAuth without a URL omits authenticationUrl; Basic with CSRF keeps csrfInfo', async (t) => {
  const oauthApp = application('id', 'app', {
    bundles: [bundle('b', 'B', { apiDefinitions: [api('a', 'A')], defaultInstanceAuth: oauth('c', 's', '') })],
  });
  t.strictSame(convertApplication(oauthApp, 'app', options).application.spec.services[0].entries[0].credentials, {
    type: 'OAuth',
    secretName: 'app-b',
  });
  const basicApp = application('id', 'app', {
    bundles: [
      bundle('b', 'B', {
        apiDefinitions: [api('a', 'A')],
        defaultInstanceAuth: basicAuth('u', 'p', { requestAuth: { csrf: { tokenEndpointURL: 'https://csrf' } } }),
      }),
    ],
  });
  t.strictSame(convertApplication(basicApp, 'app', options).application.spec.services[0].entries[0].credentials, {
    type: 'Basic',
    secretName: 'app-b',
    csrfInfo: { tokenEndpointURL: 'https://csrf' },
  });
});

t.test('events become Events entries with nothing else; long API names are cut in the gateway URL only', async (t) => {
  const longName = 'An API whose name is much longer than fifty-seven characters in total';
  const app = application('id', 'app', {
    bundles: [bundle('b', 'B', { apiDefinitions: [api('a', longName)], eventDefinitions: [event('e1', 'order.created')] })],
  });
  const [apiEntry, eventEntry] = convertApplication(app, 'app', options).application.spec.services[0].entries;
  t.equal(apiEntry.name, longName, 'entry name stays raw');
  t.equal(apiEntry.centralGatewayUrl, `${gateway}/app/b/${'an-api-whose-name-is-much-longer-than-fifty-seven-charact'}`);
  t.strictSame(eventEntry, {
    id: 'e1',
    name: 'order.created',
    type: 'Events',
    gatewayUrl: '',
    centralGatewayUrl: '',
    targetUrl: '',
    credentials: { type: '', secretName: '' },
  });
});

t.test('desiredApplications normalises names unless the runtime is labelled isNormalized=true', async (t) => {
  const apps = [application('1', 'My.App'), application('2', 'other')];
  t.same(
    desiredApplications({ runtimeLabels: {}, applications: apps }, options).map((d) => d.name),
    ['mp-my-app', 'mp-other'],
  );
  t.same(
    desiredApplications({ runtimeLabels: { isNormalized: 'false' }, applications: apps }, options).map((d) => d.name),
    ['mp-my-app', 'mp-other'],
  );
  t.same(
    desiredApplications({ runtimeLabels: { isNormalized: 'true' }, applications: apps }, options).map((d) => d.name),
    ['My.App', 'other'],
  );
  const normalised = desiredApplications(
    { runtimeLabels: {}, applications: [application('1', 'My.App', { bundles: [bundle('b', 'B', { apiDefinitions: [api('a', 'A')] })] })] },
    options,
  )[0];
  t.equal(normalised.application.spec.labels!['connected-app'], 'mp-my-app');
  t.equal(normalised.application.spec.services[0].entries[0].centralGatewayUrl, `${gateway}/mp-my-app/b/a`);
});
