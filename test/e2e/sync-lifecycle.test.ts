// Acceptance of the Application synchronisation (issue #5), end to end: applications added, changed
// and removed in the Compass simulator appear, change and disappear as `Application` resources and
// credential Secrets in the Kubernetes simulator; duplicate names, runtime labels, user edits and
// unmanaged Applications; and no credential ever reaches the log, the CR, the event log or metrics.
import t, { type Test } from 'tap';
import { createHash } from 'node:crypto';
import { startHarness, type Harness } from '../helpers/agent-harness.js';

const NS = 'kyma-system';
const GATEWAY = 'http://central-gateway.test:8082';
const EVENTS_URL = 'https://gateway.sync-test.example';
const CONSOLE_URL = 'https://console.sync-test.example';
const APP_API = 'applicationconnector.kyma-project.io/v1alpha1';
const MANAGED_BY = 'applicationconnector.kyma-project.io/managed-by';

// Credential values: each distinctive, so a leak anywhere is found by a plain substring search.
const SECRET_VALUES = {
  oauthSecret: 'oauth-client-secret-5b1f9e',
  oauthSecretRotated: 'oauth-client-secret-rotated-77c0a2',
  basicPassword: 'basic-password-c41d07',
  basicPasswordRotated: 'basic-password-rotated-0e93b8',
  headerValue: 'header-value-secret-3aa9f1',
  headerValue2: 'header-value-secret-two-61d2e4',
  queryValue: 'query-value-secret-9c27b5',
  crmPassword: 'crm-password-e07a66',
};

const ORDERS = {
  id: 'a0000000-0000-4000-8000-000000000001',
  name: 'Orders.System', // normalised: mp-orders-system
  cr: 'mp-orders-system',
  clientIds: ['c1000000-0000-4000-8000-000000000001', 'c1000000-0000-4000-8000-000000000002'],
};
const OAUTH_BUNDLE = 'b0000000-0000-4000-8000-000000000001';
const BASIC_BUNDLE = 'b0000000-0000-4000-8000-000000000002';
const CRM = { id: 'a0000000-0000-4000-8000-000000000002', name: 'crm', cr: 'mp-crm' };
const CRM_BUNDLE = 'b0000000-0000-4000-8000-000000000003';
const CRM_NEW_BUNDLE = 'b0000000-0000-4000-8000-000000000004';

type Json = Record<string, any>;

const sha5 = (id: string) => createHash('sha1').update(id).digest('hex').slice(0, 5);

function ordersApplication() {
  return {
    id: ORDERS.id,
    name: ORDERS.name,
    description: 'Orders of the shop',
    providerName: 'Acme',
    auths: ORDERS.clientIds.map((id) => ({ id })),
    bundles: [
      {
        id: OAUTH_BUNDLE,
        name: 'Orders API Bundle',
        description: 'Orders over OAuth',
        instanceAuthRequestInputSchema: '{"type":"object"}',
        defaultInstanceAuth: {
          credential: {
            __typename: 'OAuthCredentialData' as const,
            clientId: 'orders-client',
            clientSecret: SECRET_VALUES.oauthSecret,
            url: 'https://orders.example.com/oauth/token',
          },
          additionalHeaders: { 'X-Api-Key': [SECRET_VALUES.headerValue, SECRET_VALUES.headerValue2] },
          additionalQueryParams: { apiKey: [SECRET_VALUES.queryValue] },
          requestAuth: { csrf: { tokenEndpointURL: 'https://orders.example.com/csrf' } },
        },
        apiDefinitions: [
          { id: 'd0000000-0000-4000-8000-000000000001', name: 'Orders API', targetURL: 'https://orders.example.com/api/v1' },
          { id: 'd0000000-0000-4000-8000-000000000002', name: 'Returns_API v2', targetURL: 'https://orders.example.com/returns' },
        ],
        eventDefinitions: [{ id: 'e0000000-0000-4000-8000-000000000001', name: 'order.created' }],
      },
      {
        id: BASIC_BUNDLE,
        name: 'Basic bundle',
        description: null,
        defaultInstanceAuth: {
          credential: { __typename: 'BasicCredentialData' as const, username: 'orders-user', password: SECRET_VALUES.basicPassword },
        },
        apiDefinitions: [{ id: 'd0000000-0000-4000-8000-000000000003', name: 'stock', targetURL: 'https://orders.example.com/stock' }],
        eventDefinitions: [],
      },
    ],
  };
}

/** Reference §5.7, written out by hand for the fully specified application. */
function expectedOrdersSpec(apiName = 'Returns_API v2') {
  const oauthCredentials = {
    type: 'OAuth',
    secretName: `${ORDERS.cr}-${OAUTH_BUNDLE}`,
    authenticationUrl: 'https://orders.example.com/oauth/token',
    csrfInfo: { tokenEndpointURL: 'https://orders.example.com/csrf' },
  };
  const apiEntry = (id: string, name: string, path: string, targetUrl: string) => ({
    id,
    name,
    type: 'API',
    gatewayUrl: '',
    centralGatewayUrl: `${GATEWAY}/${ORDERS.cr}/orders-api-bundle/${path}`,
    targetUrl,
    credentials: oauthCredentials,
    requestParametersSecretName: `params-${ORDERS.cr}-${OAUTH_BUNDLE}`,
  });
  return {
    description: 'Orders of the shop',
    skipVerify: false,
    encodeUrl: false,
    displayName: '',
    providerDisplayName: '',
    longDescription: '',
    labels: { 'connected-app': ORDERS.cr },
    compassMetadata: { applicationId: ORDERS.id, authentication: { clientIds: ORDERS.clientIds } },
    services: [
      {
        id: OAUTH_BUNDLE,
        identifier: '',
        name: `orders-api-bundle-${sha5(OAUTH_BUNDLE)}`,
        displayName: 'Orders API Bundle',
        description: 'Orders over OAuth',
        providerDisplayName: '',
        authCreateParameterSchema: '{"type":"object"}',
        entries: [
          apiEntry('d0000000-0000-4000-8000-000000000001', 'Orders API', 'orders-api', 'https://orders.example.com/api/v1'),
          apiEntry(
            'd0000000-0000-4000-8000-000000000002',
            apiName,
            apiName.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase(),
            'https://orders.example.com/returns',
          ),
          {
            id: 'e0000000-0000-4000-8000-000000000001',
            name: 'order.created',
            type: 'Events',
            gatewayUrl: '',
            centralGatewayUrl: '',
            targetUrl: '',
            credentials: { type: '', secretName: '' },
          },
        ],
      },
      {
        id: BASIC_BUNDLE,
        identifier: '',
        name: `basic-bundle-${sha5(BASIC_BUNDLE)}`,
        displayName: 'Basic bundle',
        description: 'Description not provided',
        providerDisplayName: '',
        entries: [
          {
            id: 'd0000000-0000-4000-8000-000000000003',
            name: 'stock',
            type: 'API',
            gatewayUrl: '',
            centralGatewayUrl: `${GATEWAY}/${ORDERS.cr}/basic-bundle/stock`,
            targetUrl: 'https://orders.example.com/stock',
            credentials: { type: 'Basic', secretName: `${ORDERS.cr}-${BASIC_BUNDLE}` },
          },
        ],
      },
    ],
  };
}

function application(h: Harness, name: string): Json | undefined {
  return h.sims.kube.get(APP_API, 'Application', name) as Json | undefined;
}

function secret(h: Harness, name: string): Json | undefined {
  return h.sims.kube.get('v1', 'Secret', name, NS) as Json | undefined;
}

function applicationNames(h: Harness): string[] {
  return h.sims.kube
    .list(APP_API, 'Application')
    .map((app) => app.metadata.name as string)
    .sort();
}

function assertOwnedSecret(t: Test, h: Harness, name: string, appName: string, bundleId: string, data: Record<string, string>): void {
  const stored = secret(h, name);
  t.ok(stored, `Secret ${name} exists`);
  if (!stored) return;
  t.same(h.secretData({ namespace: NS, name }), data, `Secret ${name} holds the data`);
  t.same(stored.metadata.labels, { app: appName, bundleId }, `Secret ${name} labels`);
  const owner = application(h, appName);
  t.same(
    stored.metadata.ownerReferences?.map((ref: Json) => ({ apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid })),
    [{ apiVersion: APP_API, kind: 'Application', name: appName, uid: owner?.metadata.uid }],
    `Secret ${name} is owned by Application ${appName}`,
  );
}

t.test('applications added, changed and removed in Compass are mirrored as Applications and Secrets', async (t) => {
  const h = await startHarness({ apps: 0 });
  t.teardown(() => h.close());
  const compass = h.sims.compass.control;
  compass.upsertApplication(ordersApplication());
  compass.upsertApplication({
    id: CRM.id,
    name: CRM.name,
    bundles: [
      {
        id: CRM_BUNDLE,
        name: 'crm',
        apiDefinitions: [{ id: 'd0000000-0000-4000-8000-000000000010', name: 'contacts', targetURL: 'https://crm.example.com' }],
      },
    ],
  });
  await h.writeConfigSecret();
  h.startAgent({ APP_CENTRAL_GATEWAY_SERVICE_URL: GATEWAY, APP_RUNTIME_EVENTS_URL: EVENTS_URL, APP_RUNTIME_CONSOLE_URL: CONSOLE_URL });
  await h.waitForState('Synchronized');

  await t.test('the fully specified application matches reference §5.7', async (t) => {
    const orders = application(h, ORDERS.cr)!;
    t.ok(orders, 'Application mp-orders-system exists');
    t.same(orders.metadata.labels, { [MANAGED_BY]: 'compass-runtime-agent' }, 'the managed-by label, and only it');
    t.strictSame(orders.spec, expectedOrdersSpec(), 'spec as the reference agent writes it');
    t.same(applicationNames(h), [CRM.cr, ORDERS.cr]);
    const table = await h.kubectl('get', 'applications');
    t.match(table, new RegExp(`${ORDERS.cr}\\s+${ORDERS.id}`), 'kubectl get applications shows the name and the Compass id');
    t.match(table, new RegExp(`${CRM.cr}\\s+${CRM.id}`));
  });

  await t.test('credential and request-parameter Secrets hold the data, labels and owner', async (t) => {
    assertOwnedSecret(t, h, `${ORDERS.cr}-${OAUTH_BUNDLE}`, ORDERS.cr, OAUTH_BUNDLE, {
      clientId: 'orders-client',
      clientSecret: SECRET_VALUES.oauthSecret,
    });
    assertOwnedSecret(t, h, `params-${ORDERS.cr}-${OAUTH_BUNDLE}`, ORDERS.cr, OAUTH_BUNDLE, {
      headers: JSON.stringify({ 'X-Api-Key': [SECRET_VALUES.headerValue, SECRET_VALUES.headerValue2] }),
      queryParameters: JSON.stringify({ apiKey: [SECRET_VALUES.queryValue] }),
    });
    assertOwnedSecret(t, h, `${ORDERS.cr}-${BASIC_BUNDLE}`, ORDERS.cr, BASIC_BUNDLE, {
      username: 'orders-user',
      password: SECRET_VALUES.basicPassword,
    });
    t.notOk(secret(h, `params-${ORDERS.cr}-${BASIC_BUNDLE}`), 'no request-parameter Secret for a bundle without parameters');
    t.notOk(secret(h, `${CRM.cr}-${CRM_BUNDLE}`), 'no credential Secret for a bundle without credentials');
  });

  await t.test('a bundle added in Compass becomes a service with its Secret', async (t) => {
    compass.upsertBundle(CRM.id, {
      id: CRM_NEW_BUNDLE,
      name: 'CRM Extra',
      defaultInstanceAuth: { credential: { __typename: 'BasicCredentialData', username: 'crm-user', password: SECRET_VALUES.crmPassword } },
      apiDefinitions: [{ id: 'd0000000-0000-4000-8000-000000000011', name: 'leads', targetURL: 'https://crm.example.com/leads' }],
    });
    const crm = await h.waitFor('the new service of mp-crm', () => {
      const app = application(h, CRM.cr);
      // The Application is written before the Secrets its entries name.
      return app?.spec.services.length === 2 && secret(h, `${CRM.cr}-${CRM_NEW_BUNDLE}`) ? app : undefined;
    });
    t.same(
      crm.spec.services.map((s: Json) => s.name),
      [`crm-${sha5(CRM_BUNDLE)}`, `crm-extra-${sha5(CRM_NEW_BUNDLE)}`],
    );
    t.same(crm.spec.services[1].entries[0].credentials, { type: 'Basic', secretName: `${CRM.cr}-${CRM_NEW_BUNDLE}` });
    assertOwnedSecret(t, h, `${CRM.cr}-${CRM_NEW_BUNDLE}`, CRM.cr, CRM_NEW_BUNDLE, {
      username: 'crm-user',
      password: SECRET_VALUES.crmPassword,
    });
  });

  await t.test('rotated credentials rewrite the Secrets and leave the Application alone', async (t) => {
    const before = application(h, ORDERS.cr)!.metadata.resourceVersion;
    const app = ordersApplication();
    app.bundles[0].defaultInstanceAuth.credential = {
      ...app.bundles[0].defaultInstanceAuth.credential,
      clientSecret: SECRET_VALUES.oauthSecretRotated,
    } as never;
    app.bundles[1].defaultInstanceAuth.credential = {
      ...app.bundles[1].defaultInstanceAuth.credential,
      password: SECRET_VALUES.basicPasswordRotated,
    } as never;
    compass.upsertApplication(app);
    await h.waitFor(
      'rotated Secrets',
      () =>
        h.secretData({ namespace: NS, name: `${ORDERS.cr}-${OAUTH_BUNDLE}` })?.clientSecret === SECRET_VALUES.oauthSecretRotated &&
        h.secretData({ namespace: NS, name: `${ORDERS.cr}-${BASIC_BUNDLE}` })?.password === SECRET_VALUES.basicPasswordRotated,
    );
    await h.waitForSyncCycles(2);
    t.equal(application(h, ORDERS.cr)!.metadata.resourceVersion, before, 'the Application was not rewritten');
    assertOwnedSecret(t, h, `${ORDERS.cr}-${OAUTH_BUNDLE}`, ORDERS.cr, OAUTH_BUNDLE, {
      clientId: 'orders-client',
      clientSecret: SECRET_VALUES.oauthSecretRotated,
    });
  });

  await t.test('a renamed API changes its entry and central gateway URL', async (t) => {
    const app = ordersApplication();
    app.bundles[0].apiDefinitions[1].name = 'Refunds API';
    app.bundles[0].defaultInstanceAuth.credential = {
      ...app.bundles[0].defaultInstanceAuth.credential,
      clientSecret: SECRET_VALUES.oauthSecretRotated,
    } as never;
    app.bundles[1].defaultInstanceAuth.credential = {
      ...app.bundles[1].defaultInstanceAuth.credential,
      password: SECRET_VALUES.basicPasswordRotated,
    } as never;
    compass.upsertApplication(app);
    const orders = await h.waitFor('the renamed entry', () => {
      const current = application(h, ORDERS.cr);
      return current?.spec.services[0].entries[1].name === 'Refunds API' ? current : undefined;
    });
    t.strictSame(orders.spec, expectedOrdersSpec('Refunds API'));
    t.equal(orders.spec.services[0].entries[1].centralGatewayUrl, `${GATEWAY}/${ORDERS.cr}/orders-api-bundle/refunds-api`);
  });

  await t.test('a bundle removed in Compass takes its service and Secret with it', async (t) => {
    compass.removeBundle(ORDERS.id, BASIC_BUNDLE);
    await h.waitFor('the Basic bundle gone', () => application(h, ORDERS.cr)?.spec.services.length === 1);
    await h.waitFor('its Secret gone', () => secret(h, `${ORDERS.cr}-${BASIC_BUNDLE}`) === undefined);
    t.ok(secret(h, `${ORDERS.cr}-${OAUTH_BUNDLE}`), 'the other bundle keeps its Secret');
    t.ok(secret(h, `params-${ORDERS.cr}-${OAUTH_BUNDLE}`));
  });

  await t.test('an application removed in Compass loses its Application and Secrets', async (t) => {
    compass.removeApplication(CRM.id);
    await h.waitFor('mp-crm gone', () => application(h, CRM.cr) === undefined);
    await h.waitFor('its Secret gone', () => secret(h, `${CRM.cr}-${CRM_NEW_BUNDLE}`) === undefined);
    t.same(applicationNames(h), [ORDERS.cr]);
    t.notMatch(await h.kubectl('get', 'applications', '-o', 'name'), /mp-crm/, 'kubectl no longer lists it');
    await h.waitForState('Synchronized');
  });

  await t.test('a failed Secret write is reported by name, without the credential, and repaired', async (t) => {
    const app = ordersApplication();
    app.bundles[0].apiDefinitions[1].name = 'Refunds API';
    app.bundles[0].defaultInstanceAuth.credential = {
      ...app.bundles[0].defaultInstanceAuth.credential,
      clientSecret: SECRET_VALUES.oauthSecret,
    } as never;
    app.bundles.pop();
    h.sims.kube.faults.failNext({
      verb: 'update',
      resource: 'secrets',
      name: `${ORDERS.cr}-${OAUTH_BUNDLE}`,
      status: 500,
      message: 'etcd is unhappy',
    });
    compass.upsertApplication(app);
    const failed = await h.waitForState('ResourceApplicationFailed');
    t.match(
      failed.status?.synchronizationStatus?.error,
      new RegExp(
        `^Failed to apply configuration: 1 of \\d+ applications failed: ${ORDERS.cr} \\(update: .*Secret ${NS}/${ORDERS.cr}-${OAUTH_BUNDLE}.*500`,
      ),
    );
    await h.waitForState('Synchronized');
    t.equal(
      h.secretData({ namespace: NS, name: `${ORDERS.cr}-${OAUTH_BUNDLE}` })?.clientSecret,
      SECRET_VALUES.oauthSecret,
      'written on the next cycle',
    );
  });

  await t.test('a credential Secret deleted or edited by hand is restored', async (t) => {
    const oauth = `${ORDERS.cr}-${OAUTH_BUNDLE}`;
    const params = `params-${ORDERS.cr}-${OAUTH_BUNDLE}`;
    const wanted = h.secretData({ namespace: NS, name: params });
    await h.kubectl('-n', NS, 'delete', 'secret', oauth);
    await h.kubectl('-n', NS, 'patch', 'secret', params, '--type', 'merge', '-p', JSON.stringify({ stringData: { headers: '{}' } }));
    await h.waitFor(
      'both Secrets repaired',
      () =>
        h.secretData({ namespace: NS, name: oauth })?.clientSecret === SECRET_VALUES.oauthSecret &&
        h.secretData({ namespace: NS, name: params })?.headers === wanted?.headers,
      30_000,
    );
    assertOwnedSecret(t, h, oauth, ORDERS.cr, OAUTH_BUNDLE, { clientId: 'orders-client', clientSecret: SECRET_VALUES.oauthSecret });
    t.equal(h.connection()?.status?.connectionState, 'Synchronized');
  });

  await t.test('no credential reaches the log, the CR, the event log or the metrics', async (t) => {
    const places = {
      'agent log': h.logs.join('\n'),
      'CompassConnection CR': JSON.stringify(h.connection()),
      'event log': h.agent!.eventLog.toText(),
      metrics: await h.agent!.metrics.registry.metrics(),
    };
    for (const [where, text] of Object.entries(places)) {
      for (const [what, value] of Object.entries(SECRET_VALUES)) t.notOk(text.includes(value), `${what} not in the ${where}`);
    }
  });
});
