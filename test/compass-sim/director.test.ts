// The simulated Director over mutual TLS: the Tenant rule, paging with the upstream cursor semantics
// across 1,000 applications, nested pages, credentials, setRuntimeLabel, the error codes and
// masking, every injectable fault, the HTTP control API, and secrets kept out of the call log.
import t from 'tap';
import { fetch } from 'undici';
import { startCompassSim } from '../../sim/compass/index.js';
import { agentFor, configurationQuery, csrPem, post, signQuery, subjectFor, testKey } from './compass-client.js';

const appsQuery = `query Apps($rid: ID!, $first: Int, $after: PageCursor) {
  applicationsForRuntime(runtimeID: $rid, first: $first, after: $after) {
    data { id name labels auths { id } bundles { data { id } pageInfo { hasNextPage } totalCount } }
    pageInfo { startCursor endCursor hasNextPage } totalCount
  }
}`;
const cursor = (offset: number) => Buffer.from(`DpKtJ4j9jDq${offset}`).toString('base64');

t.test('the Director', async (t) => {
  const sim = await startCompassSim({ apps: 1000, seed: 7, pageSize: 150 });
  const plain = agentFor(sim.serverCaPem);
  // Pair once through the Connector to get a runtime certificate.
  const minted = sim.control.mintToken();
  const config = await post(sim.connectorUrl, plain, configurationQuery, { 'Connector-Token': minted.token });
  const signed = await post(
    sim.connectorUrl,
    plain,
    signQuery,
    { 'Connector-Token': config.json.data.result.token.token },
    { csr: Buffer.from(await csrPem(subjectFor(minted.clientId))).toString('base64') },
  );
  const certPem = Buffer.from(signed.json.data.result.clientCertificate, 'base64').toString();
  const keyPem = (await testKey()).keyPem;
  const mtls = agentFor(sim.serverCaPem, { certPem, keyPem });
  t.teardown(async () => {
    await Promise.all([plain.close(), mtls.close()]);
    await sim.close();
  });
  const director = (query: string, variables?: Record<string, unknown>, headers: Record<string, string> = { Tenant: sim.tenant }) =>
    post(sim.directorUrl, mtls, query, headers, variables);

  await t.test('paging walks 1,000 applications in id order without gaps or duplicates', async (t) => {
    t.equal(sim.control.runtime(sim.runtimeId)?.status.condition, 'INITIAL');
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const answer = await director(appsQuery, { rid: sim.runtimeId, first: 200, after });
      const page = answer.json.data.applicationsForRuntime;
      t.equal(page.totalCount, 1000);
      t.equal(page.pageInfo.startCursor, after ?? '', 'startCursor echoes after');
      t.ok(page.data.length <= 150, 'the server caps the page size');
      seen.push(...page.data.map((app: { id: string }) => app.id));
      pages += 1;
      t.equal(page.pageInfo.hasNextPage, seen.length < 1000);
      if (!page.pageInfo.hasNextPage) {
        t.equal(page.pageInfo.endCursor, '', 'the last page has an empty endCursor');
        break;
      }
      t.equal(page.pageInfo.endCursor, cursor(seen.length), 'the cursor is base64 of the prefix and the next offset');
      after = page.pageInfo.endCursor;
    }
    t.equal(pages, 7);
    t.equal(new Set(seen).size, 1000, 'no duplicates');
    t.same(seen, [...seen].sort(), 'ordered by id');
    t.same(
      seen,
      sim.control.applications().map((a) => a.id),
      'every seeded application, nothing else',
    );
    t.equal(sim.control.runtime(sim.runtimeId)?.status.condition, 'CONNECTED', 'the first Director call marks the runtime CONNECTED');
  });

  await t.test('scenario matching and the empty page', async (t) => {
    const other = sim.control.upsertRuntime({ id: '11111111-2222-4333-8444-555555555555', labels: { scenarios: ['ISOLATED'] } });
    sim.control.upsertApplication({
      id: 'ffffffff-0000-4000-8000-000000000001',
      name: 'isolated-app',
      labels: { scenarios: ['ISOLATED', 'X'] },
    });
    const isolated = await director(appsQuery, { rid: other.id });
    t.same(
      isolated.json.data.applicationsForRuntime.data.map((a: { name: string }) => a.name),
      ['isolated-app'],
    );
    sim.control.upsertRuntime({ id: other.id, labels: {} });
    const empty = await director(appsQuery, { rid: other.id });
    t.same(empty.json.data.applicationsForRuntime, {
      data: [],
      pageInfo: { startCursor: '', endCursor: '', hasNextPage: false },
      totalCount: 0,
    });
    sim.control.removeApplication('ffffffff-0000-4000-8000-000000000001');
  });

  await t.test('errors: codes, messages and masking', async (t) => {
    const missing = await director(appsQuery, { rid: '99999999-9999-4999-8999-999999999999' });
    t.same(missing.json, {
      errors: [
        {
          message: 'Invalid data [reason=runtime does not exist]',
          path: ['applicationsForRuntime'],
          extensions: { error_code: 22, error: 'InvalidData' },
        },
      ],
      data: null,
    });
    const notUuid = await director(appsQuery, { rid: 'not-a-uuid' });
    t.match(notUuid.json.errors[0], {
      message: /^Internal Server Error \[errorID=[0-9a-f-]{36}\]$/,
      extensions: { error_code: 10, error: 'InternalError' },
    });
    t.notMatch(notUuid.text, /not-a-uuid/, 'the internal cause is masked');
    const nullFirst = await director('query ($rid: ID!) { applicationsForRuntime(runtimeID: $rid, first: null) { totalCount } }', {
      rid: sim.runtimeId,
    });
    t.equal(nullFirst.json.errors[0].message, "Invalid data [reason=missing required parameter 'first']");
    const zero = await director(appsQuery, { rid: sim.runtimeId, first: 0 });
    t.equal(zero.json.errors[0].message, 'Invalid data [reason=page size cannot be smaller than 1]');
    const badCursor = await director(appsQuery, { rid: sim.runtimeId, after: 'garbage' });
    t.equal(badCursor.json.errors[0].extensions.error_code, 10);
    const negative = await director(appsQuery, { rid: sim.runtimeId, after: cursor(-5) });
    t.equal(negative.json.errors[0].extensions.error_code, 22);
    const invalid = await director('{ applicationsForRuntime { totalCount } }');
    t.equal(invalid.status, 422);
    const absent = await director('{ runtime(id: "99999999-9999-4999-8999-999999999999") { id } }');
    t.same(absent.json, { data: { runtime: null } }, 'runtime(id) is null without an error when absent');
  });

  await t.test("the Tenant header must match the caller's tenant", async (t) => {
    const wrong = await director(`{ runtime(id: "${sim.runtimeId}") { id } }`, undefined, { Tenant: 'someone-else' });
    t.equal(wrong.status, 400);
    t.same(wrong.json, {
      errors: [{ message: 'Tenant not found [externalTenant=someone-else]', extensions: { error_code: 25, error: 'TenantNotFound' } }],
      data: null,
    });
    const none = await director(`{ runtime(id: "${sim.runtimeId}") { id } }`, undefined, {});
    t.equal(none.json.data.runtime.id, sim.runtimeId, "without the header the system auth's tenant applies");
  });

  await t.test('setRuntimeLabel upserts and validates the key', async (t) => {
    const set = (key: string, value: unknown, runtimeID = sim.runtimeId) =>
      director(
        'mutation ($rid: ID!, $key: String!, $value: Any!) { setRuntimeLabel(runtimeID: $rid, key: $key, value: $value) { key value } }',
        { rid: runtimeID, key, value },
      );
    t.same((await set('runtime_consoleUrl', 'https://console.one')).json.data.setRuntimeLabel, {
      key: 'runtime_consoleUrl',
      value: 'https://console.one',
    });
    await set('runtime_consoleUrl', 'https://console.two');
    t.equal(sim.control.runtimeLabels(sim.runtimeId)?.runtime_consoleUrl, 'https://console.two');
    t.same(sim.control.runtimeLabels(sim.runtimeId)?.scenarios, ['DEFAULT'], 'other labels stay');
    const bad = await set('bad-key!', 'x');
    t.same(bad.json.errors[0], {
      message: 'Invalid data LabelInput [key=must be in a valid format]',
      path: ['setRuntimeLabel'],
      extensions: { error_code: 22, error: 'InvalidData' },
    });
    t.match((await set('k'.repeat(257), 'x')).json.errors[0].extensions, { error_code: 22 });
    t.match((await set('x', 'y', '99999999-9999-4999-8999-999999999999')).json.errors[0].message, /^Internal Server Error \[errorID=/);
    const labels = await director(
      `{ runtime(id: "${sim.runtimeId}") { labels(key: "runtime_consoleUrl") eventingConfiguration { defaultURL } } }`,
    );
    t.same(labels.json.data.runtime.labels, { runtime_consoleUrl: 'https://console.two' });
  });

  await t.test('nested pages, credentials and scalars', async (t) => {
    const appId = '00000000-0000-4000-8000-00000000aaaa';
    const apis = Array.from({ length: 5 }, (_, i) => ({
      id: `00000000-0000-4000-8000-0000000001a${i}`,
      name: `api-${i}`,
      targetURL: `https://api/${i}`,
      group: i % 2 ? 'odd' : null,
    }));
    sim.control.upsertApplication({
      id: appId,
      name: 'credentials-app',
      bundles: [
        {
          id: 'b1',
          name: 'basic',
          apiDefinitions: apis,
          instanceAuthRequestInputSchema: '{"type":"object"}',
          defaultInstanceAuth: {
            credential: { __typename: 'BasicCredentialData', username: 'u', password: 'hunter2-basic' },
            additionalHeaders: { 'X-A': ['1', '2'] },
            additionalQueryParams: { q: ['v'] },
          },
        },
        {
          id: 'b2',
          name: 'oauth',
          defaultInstanceAuth: {
            credential: { __typename: 'OAuthCredentialData', clientId: 'cid', clientSecret: 'hunter2-oauth', url: 'https://token' },
            requestAuth: { csrf: { tokenEndpointURL: 'https://csrf' } },
          },
        },
      ],
    });
    sim.control.upsertBundle(appId, {
      id: 'b3',
      name: 'events',
      eventDefinitions: [{ id: 'e1', name: 'order.created', version: { value: 'v1' } }],
    });
    const bundleQuery = `query ($app: ID!, $after: PageCursor) { application(id: $app) { name bundles(first: 2) { data { id } pageInfo { hasNextPage endCursor } totalCount }
      bundle(id: "b1") { instanceAuthRequestInputSchema apiDefinitions(first: 2, after: $after) { data { id } pageInfo { hasNextPage endCursor } totalCount } odd: apiDefinitions(group: "odd") { totalCount }
        defaultInstanceAuth { credential { __typename ... on BasicCredentialData { username password } } additionalHeaders additionalQueryParams } }
      oauth: bundle(id: "b2") { defaultInstanceAuth { credential { ... on OAuthCredentialData { clientId clientSecret url } } requestAuth { csrf { tokenEndpointURL } } } }
      events: bundle(id: "b3") { eventDefinitions { data { name version { value } } } } } }`;
    const first = (await director(bundleQuery, { app: appId })).json.data.application;
    t.same(first.bundles, { data: [{ id: 'b1' }, { id: 'b2' }], pageInfo: { hasNextPage: true, endCursor: cursor(2) }, totalCount: 3 });
    t.equal(first.bundle.instanceAuthRequestInputSchema, '{"type":"object"}', 'JSONSchema travels as JSON text');
    t.same(first.bundle.apiDefinitions.pageInfo, { hasNextPage: true, endCursor: cursor(2) });
    t.equal(first.bundle.odd.totalCount, 2, 'the group filter applies');
    t.same(first.bundle.defaultInstanceAuth, {
      credential: { __typename: 'BasicCredentialData', username: 'u', password: 'hunter2-basic' },
      additionalHeaders: { 'X-A': ['1', '2'] },
      additionalQueryParams: { q: ['v'] },
    });
    t.same(first.oauth.defaultInstanceAuth, {
      credential: { clientId: 'cid', clientSecret: 'hunter2-oauth', url: 'https://token' },
      requestAuth: { csrf: { tokenEndpointURL: 'https://csrf' } },
    });
    t.same(first.events.eventDefinitions.data, [{ name: 'order.created', version: { value: 'v1' } }]);
    const next = (await director(bundleQuery, { app: appId, after: cursor(4) })).json.data.application.bundle.apiDefinitions;
    t.same(next, { data: [{ id: apis[4].id }], pageInfo: { hasNextPage: false, endCursor: '' }, totalCount: 5 });
    t.same((await director('{ application(id: "nope") { id } }')).json.data, { application: null });
    sim.control.upsertRuntime({
      id: sim.runtimeId,
      labels: { ...sim.control.runtimeLabels(sim.runtimeId), runtime_eventServiceUrl: 'https://gateway.example.com/some/path' },
    });
    const byId =
      await director(`{ application(id: "${appId}") { eventingConfiguration { defaultURL } bundle(id: "b1") { apiDefinition(id: "${apis[1].id}") { name spec { type } } eventDefinition(id: "x") { id } }
      events: bundle(id: "b3") { apiDefinition(id: "x") { id } eventDefinition(id: "e1") { name } } } }`);
    t.same(
      byId.json.data.application,
      {
        eventingConfiguration: { defaultURL: 'https://gateway.example.com/credentials-app/v1/events' },
        bundle: { apiDefinition: { name: 'api-1', spec: null }, eventDefinition: null },
        events: { apiDefinition: null, eventDefinition: { name: 'order.created' } },
      },
      'single-item getters and the computed eventing URL',
    );
    sim.control.removeBundle(appId, 'b3');
    t.equal(sim.control.applications().find((a) => a.id === appId)?.bundles.length, 2);
  });

  await t.test('faults apply to their operation for their count', async (t) => {
    const runtimeQuery = `{ runtime(id: "${sim.runtimeId}") { id } }`;
    sim.control.armFault({ operation: 'runtime', kind: 'http-status', status: 502, count: 2 });
    t.equal((await director(runtimeQuery)).status, 502);
    t.equal((await director(runtimeQuery)).status, 502);
    t.equal((await director(runtimeQuery)).status, 200, 'the fault is used up after its count');

    sim.control.armFault({ operation: 'runtime', kind: 'timeout' });
    const timeout = await director(runtimeQuery);
    t.equal(timeout.status, 503);
    t.equal(timeout.text, '{"Message":"operation has timed out"}');

    sim.control.armFault({ operation: 'runtime', kind: 'graphql-error' });
    const gqlError = await director(runtimeQuery);
    t.match(gqlError.json, {
      errors: [{ message: /^Internal Server Error \[errorID=/, path: ['runtime'], extensions: { error_code: 10 } }],
      data: null,
    });

    sim.control.armFault({ operation: 'configuration', kind: 'graphql-error', message: 'boom' });
    t.same(
      (await post(sim.certSecuredConnectorUrl, mtls, configurationQuery)).json,
      { errors: [{ message: 'boom', path: ['result'] }], data: null },
      'Connector faults have no extensions',
    );

    sim.control.armFault({ operation: 'runtime', kind: 'malformed-json' });
    const malformed = await director(runtimeQuery);
    t.equal(malformed.status, 200);
    t.equal(malformed.json, undefined, 'the body is not JSON');

    sim.control.armFault({ operation: 'runtime', kind: 'delay', delayMs: 50 });
    t.equal((await director(runtimeQuery)).json.data.runtime.id, sim.runtimeId, 'a delay still answers');

    sim.control.armFault({ operation: 'runtime', kind: 'tls-reject' });
    await t.rejects(director(runtimeQuery), 'tls-reject drops the connection without an answer');

    sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'truncated-page' });
    const truncated = (await director(appsQuery, { rid: sim.runtimeId, first: 10 })).json.data.applicationsForRuntime;
    t.equal(truncated.data.length, 5, 'the page is short');
    t.same(truncated.pageInfo, { startCursor: '', endCursor: cursor(10), hasNextPage: true }, 'but claims more and skips items');

    sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'wrong-total-count', delta: -3 });
    t.equal(
      (await director(appsQuery, { rid: sim.runtimeId, first: 10 })).json.data.applicationsForRuntime.totalCount,
      998,
      'totalCount disagrees with the data',
    );
    sim.control.armFault({ operation: 'bundles', kind: 'wrong-total-count', count: 'unlimited' });
    const bundles = (await director(appsQuery, { rid: sim.runtimeId, first: 3 })).json.data.applicationsForRuntime.data;
    t.ok(
      bundles.every((app: { bundles: { data: unknown[]; totalCount: number } }) => app.bundles.totalCount === app.bundles.data.length + 1),
      'nested page faults too',
    );
    t.equal(sim.control.faults().length, 1, 'an unlimited fault stays armed');
    sim.control.clearFaults();
    t.same(sim.control.faults(), []);
    t.throws(() => sim.control.armFault({ operation: 'x', kind: 'nope' as never }), /fault.kind must be one of/);
    t.throws(() => sim.control.armFault({ operation: '', kind: 'delay' }), /fault.operation/);
    t.throws(() => sim.control.armFault({ operation: '*', kind: 'delay', count: 0 }), /fault.count/);
  });

  await t.test('the HTTP control API', async (t) => {
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${sim.controlUrl}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: response.status, json: (await response.json()) as any };
    };
    const token = await call('POST', '/tokens');
    t.match(token.json.token, /^[A-Za-z0-9_-]{86}==$/);
    t.equal(token.json.runtimeId, sim.runtimeId);
    t.ok(
      (await post(sim.connectorUrl, plain, configurationQuery, { 'Connector-Token': token.json.token })).json.data.result,
      'the minted token works',
    );
    t.match((await call('GET', '/clock')).json, { now: String });
    const before = Date.parse((await call('GET', '/clock')).json.now);
    t.ok(Date.parse((await call('POST', '/clock/advance', { ms: 3_600_000 })).json.now) >= before + 3_600_000);
    t.equal((await call('POST', '/clock/advance', {})).status, 400);
    t.equal((await call('POST', '/tenants', { externalId: 'tenant-b' })).json.externalId, 'tenant-b');
    t.ok((await call('GET', '/tenants')).json.some((x: { externalId: string }) => x.externalId === 'tenant-b'));
    t.equal(
      (await call('PUT', '/runtimes/22222222-2222-4222-8222-222222222222', { labels: { scenarios: ['B'] }, tenant: 'tenant-b' })).json
        .tenant,
      'tenant-b',
    );
    t.same((await call('GET', '/runtimes/22222222-2222-4222-8222-222222222222/labels')).json, { scenarios: ['B'] });
    t.equal((await call('GET', '/runtimes/nope')).status, 404);
    t.equal((await call('POST', '/tokens', { runtimeId: 'nope' })).status, 400);
    t.equal((await call('DELETE', '/runtimes/22222222-2222-4222-8222-222222222222')).json.removed, true);
    t.equal((await call('PUT', '/applications/abc', { name: 'via-http' })).json.name, 'via-http');
    t.equal((await call('PUT', '/applications/abc/bundles/b', { name: 'bundle-b' })).json.name, 'bundle-b');
    t.equal((await call('DELETE', '/applications/abc/bundles/b')).json.removed, true);
    t.equal((await call('DELETE', '/applications/abc')).json.removed, true);
    const generated = await call('POST', '/applications/generate', { count: 3, seed: 99 });
    t.equal(generated.json.generated, 3);
    const again = sim.control.generateApplications(3, 99);
    t.same(
      again.map((a) => a.id),
      generated.json.ids,
      'generation is deterministic from the seed',
    );
    t.equal((await call('GET', '/applications')).json.length, 1004, '1,000 seeded, the credentials app and 3 generated');
    t.equal((await call('POST', '/faults', { operation: 'runtime', kind: 'delay', delayMs: 1 })).status, 201);
    t.equal((await call('GET', '/faults')).json.length, 1);
    t.equal((await call('DELETE', '/faults')).json.cleared, true);
    t.equal((await call('POST', '/faults', { kind: 'delay' })).status, 400);
    t.ok((await call('GET', '/certificates')).json.length >= 1);
    t.equal((await call('POST', '/revocations', { sha256: 'zz' })).status, 400);
    t.equal((await call('POST', '/revocations', {})).status, 400);
    t.equal((await call('POST', '/revocations', { sha256: 'A'.repeat(64) })).json.revoked, 'a'.repeat(64));
    t.ok((await call('DELETE', '/tokens')).json.wiped >= 0);
    t.ok((await call('GET', '/calls')).json.length > 0);
    t.equal((await call('GET', '/nowhere')).status, 404);
    const badBody = await fetch(`${sim.controlUrl}/tenants`, { method: 'POST', body: 'not json' });
    t.equal(badBody.status, 400);
    await badBody.text();
    t.equal((await call('DELETE', '/calls')).json.cleared, true);
  });

  await t.test('nothing in the call log carries a token, key, certificate or credential', async (t) => {
    const token = sim.mintToken();
    const answer = await post(sim.connectorUrl, plain, configurationQuery, { 'Connector-Token': token });
    await post(
      `${sim.connectorUrl}?token=${encodeURIComponent(answer.json.data.result.token.token)}`,
      plain,
      signQuery,
      {},
      { csr: Buffer.from(await csrPem(subjectFor('x'))).toString('base64') },
    );
    await director(
      `{ applicationsForRuntime(runtimeID: "${sim.runtimeId}") { data { bundles { data { defaultInstanceAuth { credential { ... on BasicCredentialData { password } ... on OAuthCredentialData { clientSecret } } } } } } } }`,
    );
    const log = JSON.stringify(sim.control.callLog());
    t.notMatch(log, token, 'no runtime token');
    t.notMatch(log, answer.json.data.result.token.token, 'no CSR token, not even from ?token=');
    t.notMatch(log, /connector-token/i);
    t.notMatch(log, /BEGIN (CERTIFICATE|PRIVATE KEY|RSA PRIVATE KEY|CERTIFICATE REQUEST)/);
    t.notMatch(log, /hunter2|pw-|secret-/, 'no application credentials');
    t.notMatch(log, keyPem.slice(40, 80));
    const entry = sim.control.callLog().find((c) => c.operations.includes('signCertificateSigningRequest'))!;
    t.same(entry.variables, { csr: '[redacted]' });
    t.equal(entry.path, '/connector/graphql', 'the path is logged without its query string');
    t.match(sim.control.callLog().at(-1), {
      surface: 'director',
      identity: { kind: 'certificate', runtimeId: sim.runtimeId },
      outcome: { status: 200 },
    });
  });
});
