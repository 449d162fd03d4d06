// The Director client against the Compass simulator over mutual TLS: every page of every list,
// refusal of anything incomplete, the Tenant header, setRuntimeLabel and secret-free errors.
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCompassSim, type ApplicationRecord } from '../../sim/compass/index.js';
import { validateOperation, upstreamSchemaDir } from '../helpers/compass-schema.js';
import { establishConnection } from '../../adapters/compass/connector-client.js';
import { DirectorClient } from '../../adapters/compass/director-client.js';
import { DIRECTOR_OPERATIONS } from '../../adapters/compass/director-queries.js';
import { CompassError } from '../../adapters/compass/compass-error.js';
import type { RuntimeConfiguration } from '../../adapters/compass/director-types.js';

const PAGE = 4; // server-side cap: 30 applications come in 8 pages
const sim = await startCompassSim({ apps: 30, seed: 7, pageSize: PAGE });
t.teardown(() => sim.close());

// One application with many bundles and one bundle with many API and event definitions.
const bigAppId = 'ffffffff-0000-4000-8000-000000000001';
const bigBundleId = 'b0000000-0000-4000-8000-00000000000a';
sim.control.upsertApplication({
  id: bigAppId,
  name: 'big-app',
  description: 'many bundles',
  bundles: [
    {
      id: bigBundleId,
      name: 'big bundle',
      apiDefinitions: Array.from({ length: 11 }, (_, i) => ({
        id: `a0000000-0000-4000-8000-0000000000${10 + i}`,
        name: `api-${i}`,
        targetURL: `https://big.example.com/${i}`,
      })),
      eventDefinitions: Array.from({ length: 6 }, (_, i) => ({ id: `e0000000-0000-4000-8000-0000000000${10 + i}`, name: `event-${i}` })),
      defaultInstanceAuth: {
        credential: { __typename: 'BasicCredentialData', username: 'big-user', password: 'big-password-secret' },
        additionalHeaders: { 'x-one': ['1', '2'] },
        requestAuth: { csrf: { tokenEndpointURL: 'https://big.example.com/csrf' } },
      },
    },
    ...Array.from({ length: 8 }, (_, i) => ({
      id: `b0000000-0000-4000-8000-0000000000${20 + i}`,
      name: `small bundle ${i}`,
      apiDefinitions: [],
      eventDefinitions: [],
    })),
  ],
});

const connection = await establishConnection({
  caPem: sim.serverCaPem,
  connectorUrl: sim.connectorUrl,
  token: sim.mintToken(),
  keyBits: 2048,
});
const clientCertificate = { keyPem: connection.privateKeyPem, certificateChainPem: connection.credentials.certificateChainPem };
const director = new DirectorClient({
  url: connection.managementInfo.directorUrl,
  tenant: sim.tenant,
  runtimeId: sim.runtimeId,
  clientCertificate,
  caPem: sim.serverCaPem,
});
t.teardown(() => director.close());

const secretLines = [connection.privateKeyPem, connection.credentials.certificateChainPem]
  .flatMap((pem) => pem.split('\n'))
  .filter((line) => line.length > 20 && !line.startsWith('-----'));
function assertNoSecrets(t: { notOk: (v: unknown, m: string) => void }, error: Error, label: string) {
  const text = error.message;
  t.notOk(
    secretLines.some((line) => text.includes(line)) || /-----BEGIN|big-password-secret/.test(text),
    `${label}: no key, certificate or credential in the message`,
  );
}

async function rejection(promise: Promise<unknown>): Promise<CompassError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CompassError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function expected(apps: ApplicationRecord[]) {
  return apps
    .map((app) => ({
      id: app.id,
      name: app.name,
      bundles: app.bundles
        .map((b) => ({ id: b.id, apis: b.apiDefinitions.map((a) => a.id).sort(), events: b.eventDefinitions.map((e) => e.id).sort() }))
        .sort((x, y) => x.id.localeCompare(y.id)),
    }))
    .sort((x, y) => x.id.localeCompare(y.id));
}
function actual(config: RuntimeConfiguration) {
  return config.applications
    .map((app) => ({
      id: app.id,
      name: app.name,
      bundles: app.bundles
        .map((b) => ({ id: b.id, apis: b.apiDefinitions.map((a) => a.id).sort(), events: b.eventDefinitions.map((e) => e.id).sort() }))
        .sort((x, y) => x.id.localeCompare(y.id)),
    }))
    .sort((x, y) => x.id.localeCompare(y.id));
}

t.test(
  'every Director operation validates against the upstream schema',
  { skip: upstreamSchemaDir() ? false : 'upstream schemas (../shared/spec/compass-schemas) absent' },
  async (t) => {
    for (const [name, text] of Object.entries(DIRECTOR_OPERATIONS)) t.same(validateOperation('director', text), [], name);
  },
);

t.test('follows every page of applications, bundles, API and event definitions', async (t) => {
  sim.control.clearCallLog();
  const config = await director.fetchRuntimeConfiguration(sim.runtimeId);
  const apps = sim.control.applications();
  t.equal(config.applications.length, 31, 'all applications, no gaps');
  t.equal(new Set(config.applications.map((a) => a.id)).size, 31, 'no duplicates');
  t.same(actual(config), expected(apps), 'the same tree as the simulator holds');
  t.same(config.runtimeLabels, sim.control.runtimeLabels(sim.runtimeId));

  const big = config.applications.find((a) => a.id === bigAppId)!;
  t.equal(big.bundles.length, 9);
  const bundle = big.bundles.find((b) => b.id === bigBundleId)!;
  t.equal(bundle.apiDefinitions.length, 11);
  t.equal(bundle.eventDefinitions.length, 6);
  t.same(bundle.defaultInstanceAuth, {
    credential: { __typename: 'BasicCredentialData', username: 'big-user', password: 'big-password-secret' },
    additionalHeaders: { 'x-one': ['1', '2'] },
    additionalQueryParams: null,
    requestAuth: { csrf: { tokenEndpointURL: 'https://big.example.com/csrf' } },
  });
  t.same(bundle.apiDefinitions[0], { id: 'a0000000-0000-4000-8000-000000000010', name: 'api-0', targetURL: 'https://big.example.com/0' });

  const calls = sim.control.callLog().filter((c) => c.surface === 'director');
  t.same(calls[0].operations, ['runtime', 'applicationsForRuntime'], 'one first query for labels and applications');
  t.equal(calls.filter((c) => c.operations.join() === 'applicationsForRuntime').length, 7, '7 more application pages');
  t.ok(
    calls.some((c) => c.operations.join() === 'application'),
    'nested pages fetched through application(id)',
  );
  t.ok(
    calls.every((c) => c.headers.tenant === sim.tenant),
    'Tenant header on every request',
  );
  t.ok(
    calls.every((c) => c.variables !== undefined),
    'arguments travel as variables',
  );
});

t.test('a failing later page fails the whole fetch', async (t) => {
  // The first request takes its faults before the delay; the failure armed meanwhile hits page 2.
  sim.control.armFault({ operation: 'runtime', kind: 'delay', delayMs: 400 });
  const pending = rejection(director.fetchRuntimeConfiguration(sim.runtimeId));
  while (sim.control.faults().length > 0) await sleep(10);
  sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'http-status', status: 503, body: 'upstream connect error' });
  const error = await pending;
  t.equal(error.kind, 'invalid-response');
  t.equal(error.status, 503);
  t.match(error.message, /Director synchronization fetch for runtime .* failed: page 2 of the applications of runtime/);
  assertNoSecrets(t, error, 'page 2');
});

t.test('a failing nested bundle page fails the whole fetch', async (t) => {
  sim.control.armFault({ operation: 'application', kind: 'graphql-error', message: 'Internal Server Error [errorID=x]' });
  const error = await rejection(director.fetchRuntimeConfiguration(sim.runtimeId));
  t.equal(error.kind, 'graphql');
  t.match(error.message, /page 2 of the bundles of application ffffffff-0000-4000-8000-000000000001/);
  t.equal(error.errorCode, 10);
});

// (A truncated page of an empty list is harmless, so truncation is armed only on lists that are never empty.)
t.test('a truncated page or a disagreeing totalCount fails the fetch', async (t) => {
  for (const [operation, kind, message] of [
    ['applicationsForRuntime', 'truncated-page', /applications of runtime .* has totalCount 31 but 29 items arrived|changed while paging/],
    [
      'applicationsForRuntime',
      'wrong-total-count',
      /applications of runtime .* changed while paging \(totalCount 32 on page 1, 31 on page 2\)/,
    ],
    ['bundles', 'truncated-page', /bundles of application .*(has totalCount|changed while paging)/],
    ['apiDefinitions', 'wrong-total-count', /API definitions of bundle .*(has totalCount|changed while paging)/],
    ['eventDefinitions', 'wrong-total-count', /event definitions of bundle .*(has totalCount|changed while paging)/],
  ] as const) {
    sim.control.armFault({ operation, kind });
    const error = await rejection(director.fetchRuntimeConfiguration(sim.runtimeId));
    t.equal(error.kind, 'invalid-response', `${operation} ${kind}`);
    t.match(error.message, message, `${operation} ${kind}`);
    t.match(error.message, /no Application is deleted/);
    sim.control.clearFaults();
  }
  const config = await director.fetchRuntimeConfiguration(sim.runtimeId);
  t.equal(config.applications.length, 31, 'complete again without faults');
});

t.test('a wrong Tenant header surfaces the Director error with code 25', async (t) => {
  const stranger = new DirectorClient({
    url: sim.directorUrl,
    tenant: 'not-my-tenant',
    runtimeId: sim.runtimeId,
    clientCertificate,
    caPem: sim.serverCaPem,
  });
  t.teardown(() => stranger.close());
  const error = await rejection(stranger.fetchRuntimeConfiguration(sim.runtimeId));
  t.equal(error.kind, 'graphql');
  t.equal(error.status, 400);
  t.equal(error.errorCode, 25);
  t.equal(error.graphqlErrors[0].errorName, 'TenantNotFound');
  t.match(error.message, /Tenant not found \[externalTenant=not-my-tenant\] \(error_code 25\)/);
  assertNoSecrets(t, error, 'tenant');
  t.throws(() => new DirectorClient({ url: sim.directorUrl, tenant: '', clientCertificate }), { message: /needs the tenant id/ });
  t.throws(() => new DirectorClient({ url: sim.directorUrl, tenant: 't', clientCertificate, pageSize: 0 }), RangeError);
});

t.test('an unknown runtime fails instead of returning an empty list', async (t) => {
  const error = await rejection(director.fetchRuntimeConfiguration('11111111-2222-4333-8444-555555555555'));
  t.ok(error.kind === 'graphql' || error.kind === 'invalid-response');
  t.match(error.message, /runtime does not exist|runtime .* is unknown/);
});

t.test('setRuntimeLabel upserts with variables; errors name the key and the new value', async (t) => {
  const label = await director.setRuntimeLabel(sim.runtimeId, 'runtime_eventServiceUrl', 'https://gateway.example.com/"quoted"');
  t.same(label, { key: 'runtime_eventServiceUrl', value: 'https://gateway.example.com/"quoted"' });
  t.equal(
    sim.control.runtimeLabels(sim.runtimeId)?.runtime_eventServiceUrl,
    'https://gateway.example.com/"quoted"',
    'quotes survive: no string interpolation',
  );
  const config = await director.fetchRuntimeConfiguration(sim.runtimeId);
  t.equal(config.runtimeLabels.runtime_eventServiceUrl, 'https://gateway.example.com/"quoted"');

  const error = await rejection(director.setRuntimeLabel(sim.runtimeId, 'bad key!', 'new-value'));
  t.equal(error.kind, 'graphql');
  t.equal(error.errorCode, 22);
  t.match(error.message, /Failed to set the runtime label bad key!="new-value" on runtime/);
  sim.control.armFault({ operation: 'setRuntimeLabel', kind: 'http-status', status: 500 });
  const failed = await rejection(director.setRuntimeLabel(sim.runtimeId, 'runtime_consoleUrl', 'https://console.example.com'));
  t.match(failed.message, /runtime_consoleUrl="https:\/\/console\.example\.com"/);
  assertNoSecrets(t, failed, 'setRuntimeLabel');
});
