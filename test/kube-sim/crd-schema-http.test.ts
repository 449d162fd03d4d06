// Custom resources against their CRD's schema over real HTTPS: the 422 Status of an invalid object,
// fieldValidation (Strict, Warn, Ignore) on create, update, patch and /status, defaults, what a
// /status write validates, ratcheting after a schema change, and the schema checks on CRDs.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';
import { simClient, type SimClient } from './https-client.js';
import { UPSTREAM_INSTALL_DIR } from '../helpers/upstream-files.js';

const CRDS = new URL('../../crds/', import.meta.url).pathname;
const UPSTREAM = `${UPSTREAM_INSTALL_DIR}/`;
const CRD_API = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const CC = '/apis/compass.kyma-project.io/v1alpha1/compassconnections';
const APPS = '/apis/applicationconnector.kyma-project.io/v1alpha1/applications';
const T = '/apis/example.com/v1/namespaces/default/things';
const MERGE = { 'content-type': 'application/merge-patch+json' };

const thingsSchema = (nameMaxLength: number) => ({
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', maxLength: nameMaxLength },
        size: { type: 'integer', minimum: 0, default: 1 },
        mode: { type: 'string', enum: ['fast', 'slow'] },
      },
    },
    status: {
      type: 'object',
      default: {},
      properties: {
        phase: { type: 'string' },
        conditions: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['type'],
          items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } },
        },
      },
    },
  },
});
const thingsCrd = (nameMaxLength = 20) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'things.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'things', singular: 'thing', kind: 'Thing' },
    versions: [
      { name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: thingsSchema(nameMaxLength) } },
    ],
  },
});
const connection = (spec: unknown) => ({
  apiVersion: 'compass.kyma-project.io/v1alpha1',
  kind: 'CompassConnection',
  metadata: { name: 'compass-connection' },
  spec,
});
const MANAGEMENT = { connectorUrl: 'https://connector', directorUrl: 'https://director' };

let sim: KubeSim;
let c: SimClient;

t.before(async () => {
  sim = await startKubeSim({ crdDir: CRDS, namespaces: ['default'] });
  c = await simClient(sim);
  t.equal((await c.call('POST', CRD_API, thingsCrd())).status, 201);
});
t.teardown(() => sim.close());

const warningsOf = (headers: Record<string, unknown>): string[] => {
  const raw = headers.warning;
  return (Array.isArray(raw) ? raw : raw === undefined ? [] : String(raw).split(/,(?= ?299 )/)).map((w) => String(w).trim());
};

t.test("an invalid custom resource gets a 422 Invalid Status naming each field, in the API server's words", async (t) => {
  const reply = await c.call('POST', CC, connection({ managementInfo: { connectorUrl: 5 } }));
  t.equal(reply.status, 422);
  t.same(reply.body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    reason: 'Invalid',
    code: 422,
    message:
      'CompassConnection.compass.kyma-project.io "compass-connection" is invalid: [spec.managementInfo.connectorUrl: Invalid value: "integer": spec.managementInfo.connectorUrl in body must be of type string: "integer", spec.managementInfo.directorUrl: Required value]',
    details: {
      name: 'compass-connection',
      group: 'compass.kyma-project.io',
      kind: 'CompassConnection',
      causes: [
        {
          reason: 'FieldValueTypeInvalid',
          message: 'Invalid value: "integer": spec.managementInfo.connectorUrl in body must be of type string: "integer"',
          field: 'spec.managementInfo.connectorUrl',
        },
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.managementInfo.directorUrl' },
      ],
    },
  });
  t.equal((await c.call('GET', `${CC}/compass-connection`)).status, 404, 'nothing was stored');
});

t.test(
  'unknown fields: Strict refuses the create with 400, Warn warns once per field, Ignore is silent; the stored object is pruned',
  async (t) => {
    const body = {
      ...connection({ managementInfo: MANAGEMENT, extra: 1, nested: { deep: true } }),
      metadata: { name: 'compass-connection', bogus: 'x' },
    };
    const strict = await c.call('POST', `${CC}?fieldValidation=Strict`, body);
    t.match(strict, { status: 400, body: { kind: 'Status', reason: 'BadRequest', code: 400 } });
    t.equal(
      strict.body.message,
      'CompassConnection in version "v1alpha1" cannot be handled as a CompassConnection: strict decoding error: unknown field "metadata.bogus", unknown field "spec.extra", unknown field "spec.nested"',
    );
    const warned = await c.call('POST', CC, body);
    t.equal(warned.status, 201);
    t.same(warningsOf(warned.headers), [
      '299 - "unknown field \\"metadata.bogus\\""',
      '299 - "unknown field \\"spec.extra\\""',
      '299 - "unknown field \\"spec.nested\\""',
    ]);
    t.same(warned.body.spec, { managementInfo: MANAGEMENT }, 'pruned');
    t.notOk('bogus' in warned.body.metadata);
    const current = warned.body;
    const ignored = await c.call('PUT', `${CC}/compass-connection?fieldValidation=Ignore`, {
      ...current,
      spec: { ...current.spec, extra: 2 },
    });
    t.equal(ignored.status, 200);
    t.same(warningsOf(ignored.headers), [], 'Ignore: no warning');
    t.same(ignored.body.spec, { managementInfo: MANAGEMENT });
    const strictPut = await c.call('PUT', `${CC}/compass-connection?fieldValidation=Strict`, {
      ...ignored.body,
      spec: { ...current.spec, extra: 3 },
    });
    t.match(strictPut, {
      status: 400,
      body: {
        message:
          'CompassConnection in version "v1alpha1" cannot be handled as a CompassConnection: strict decoding error: unknown field "spec.extra"',
      },
    });
  },
);

t.test('a merge patch with an unknown field under Strict is a 422 on "patch" carrying the patched object', async (t) => {
  const reply = await c.call('PATCH', `${CC}/compass-connection?fieldValidation=Strict`, { spec: { extra: true } }, MERGE);
  t.equal(reply.status, 422);
  t.match(reply.body, { reason: 'Invalid', details: { causes: [{ reason: 'FieldValueInvalid', field: 'patch' }] } });
  t.notOk('name' in reply.body.details || 'kind' in reply.body.details, 'errors.NewInvalid with an empty GroupKind and name');
  t.match(
    reply.body.message,
    /^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"compass\.kyma-project\.io\/v1alpha1\\",\\"kind\\":\\"CompassConnection\\",\\"metadata\\":\{.*\\"spec\\":\{\\"extra\\":true,\\"managementInfo\\":\{.*\}\}\}": strict decoding error: unknown field "spec.extra"$/,
  );
  const warned = await c.call('PATCH', `${CC}/compass-connection`, { spec: { extra: true } }, MERGE);
  t.same(warningsOf(warned.headers), ['299 - "unknown field \\"spec.extra\\""']);
});

t.test('a /status write validates the status against the status schema; unknown fields anywhere in its body count', async (t) => {
  const bad = await c.call(
    'PATCH',
    `${CC}/compass-connection/status`,
    { status: { connectionState: 1, connectionStatus: { certificateStatus: { notAfter: 'soon' } } } },
    MERGE,
  );
  t.equal(bad.status, 422);
  t.equal(
    bad.body.message,
    'CompassConnection.compass.kyma-project.io "compass-connection" is invalid: [status.connectionState: Invalid value: "integer": connectionState in body must be of type string: "integer", status.connectionStatus.certificateStatus.notAfter: Invalid value: "soon": connectionStatus.certificateStatus.notAfter in body must be of type date-time: "soon"]',
  );
  const missing = await c.call('PATCH', `${CC}/compass-connection/status`, { status: { connectionState: 'Connected' } }, MERGE);
  t.equal(
    missing.body.message,
    'CompassConnection.compass.kyma-project.io "compass-connection" is invalid: status.connectionStatus: Required value',
  );
  const good = {
    connectionState: 'Connected',
    connectionStatus: { certificateStatus: { notAfter: '2099-01-01T00:00:00Z' } },
    synchronizationStatus: null,
  };
  const current = (await c.call('GET', `${CC}/compass-connection`)).body;
  const ok = await c.call('PUT', `${CC}/compass-connection/status?fieldValidation=Strict`, { ...current, status: good });
  t.equal(ok.status, 200);
  t.same(ok.body.status, good, 'nullable synchronizationStatus keeps its null');
  const strict = await c.call(
    'PATCH',
    `${CC}/compass-connection/status?fieldValidation=Strict`,
    { spec: { ignored: 1 }, status: { connectionState: 'Synchronized' } },
    MERGE,
  );
  t.match(
    strict,
    { status: 422, body: { message: /strict decoding error: unknown field "spec.ignored"$/ } },
    'the spec of a /status body is decoded too',
  );
});

t.test(
  'defaults are applied on create and update (Application spec.encodeUrl); a create does not default a status into existence',
  async (t) => {
    const app = {
      apiVersion: 'applicationconnector.kyma-project.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'defaulted' },
      spec: { description: 'd' },
    };
    const created = await c.call('POST', APPS, app);
    t.equal(created.status, 201);
    t.equal(created.body.spec.encodeUrl, true);
    const replaced = await c.call('PUT', `${APPS}/defaulted`, { ...created.body, spec: { description: 'again' } });
    t.same(replaced.body.spec, { description: 'again', encodeUrl: true });
    const thing = await c.call('POST', T, { metadata: { name: 'defaults' }, spec: { name: 'n' }, status: { phase: 'Ignored' } });
    t.same(thing.body.spec, { name: 'n', size: 1 });
    t.notOk('status' in thing.body, 'status is dropped on create, although the schema defaults it');
    const updated = await c.call('PATCH', `${T}/defaults`, { spec: { mode: 'slow' } }, MERGE);
    t.same(updated.body.status, {}, 'an update defaults it (the API server defaults the stored object it reads)');
  },
);

t.test('list-type map keys must be unique: a duplicate is a 422 Duplicate value', async (t) => {
  await c.call('POST', T, { metadata: { name: 'listed' }, spec: { name: 'n' } });
  const dup = await c.call('PATCH', `${T}/listed/status`, { status: { conditions: [{ type: 'Ready' }, { type: 'Ready' }] } }, MERGE);
  t.equal(dup.status, 422);
  t.equal(
    dup.body.message,
    'Thing.example.com "listed" is invalid: status.conditions[1]: Duplicate value: map[string]interface {}{"type":"Ready"}',
  );
});

t.test(
  'after a schema change, stored values the new schema refuses ratchet: unchanged they pass, changed they are validated',
  async (t) => {
    await c.call('POST', T, { metadata: { name: 'old' }, spec: { name: 'a-long-name' } });
    const crd = (await c.call('GET', `${CRD_API}/things.example.com`)).body;
    t.equal((await c.call('PUT', `${CRD_API}/things.example.com`, { ...crd, spec: thingsCrd(5).spec })).status, 200);
    const stored = (await c.call('GET', `${T}/old`)).body;
    const other = await c.call('PUT', `${T}/old`, { ...stored, spec: { ...stored.spec, mode: 'fast' } });
    t.equal(other.status, 200, 'changing another field passes');
    const status = await c.call('PATCH', `${T}/old/status`, { status: { phase: 'Running' } }, MERGE);
    t.equal(status.status, 200, 'a /status write does not validate the spec');
    const changed = await c.call('PATCH', `${T}/old`, { spec: { name: 'another-long-name' } }, MERGE);
    t.equal(changed.status, 422);
    t.equal(changed.body.message, 'Thing.example.com "old" is invalid: spec.name: Too long: may not be more than 5 bytes');
    const wrongEnum = await c.call('PATCH', `${T}/old`, { spec: { mode: 'medium', size: -1 } }, MERGE);
    t.equal(
      wrongEnum.body.message,
      'Thing.example.com "old" is invalid: [spec.size: Invalid value: -1: spec.size in body should be greater than or equal to 0, spec.mode: Unsupported value: "medium": supported values: "fast", "slow"]',
    );
  },
);

t.test("CRDs need a structural schema in every version, with the API server's messages", async (t) => {
  const base = thingsCrd();
  const withVersion = (version: Record<string, unknown>) => ({
    ...base,
    metadata: { name: 'gizmos.example.com' },
    spec: { ...base.spec, names: { plural: 'gizmos', kind: 'Gizmo' }, versions: [{ name: 'v1', served: true, storage: true, ...version }] },
  });
  const missing = await c.call('POST', CRD_API, withVersion({}));
  t.equal(missing.status, 422);
  t.equal(
    missing.body.message,
    'CustomResourceDefinition.apiextensions.k8s.io "gizmos.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required',
  );
  t.same(missing.body.details.causes, [
    { reason: 'FieldValueRequired', message: 'Required value: schemas are required', field: 'spec.versions[0].schema.openAPIV3Schema' },
  ]);
  const untyped = await c.call(
    'POST',
    CRD_API,
    withVersion({ schema: { openAPIV3Schema: { type: 'object', properties: { spec: { properties: { a: { type: 'string' } } } } } } }),
  );
  t.equal(
    untyped.body.message,
    'CustomResourceDefinition.apiextensions.k8s.io "gizmos.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
  );
  const rootless = await c.call(
    'POST',
    CRD_API,
    withVersion({ schema: { openAPIV3Schema: { properties: { spec: { type: 'object' } } } } }),
  );
  t.equal(
    rootless.body.message,
    'CustomResourceDefinition.apiextensions.k8s.io "gizmos.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema.type: Required value: must not be empty at the root',
  );
  const badDefault = await c.call(
    'POST',
    CRD_API,
    withVersion({
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: { spec: { type: 'object', properties: { n: { type: 'integer', default: 'one' } } } },
        },
      },
    }),
  );
  t.equal(
    badDefault.body.message,
    'CustomResourceDefinition.apiextensions.k8s.io "gizmos.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[n].default: Invalid value: "string":  in body must be of type integer: "string"',
  );
  const mixed = await c.call(
    'POST',
    CRD_API,
    withVersion({
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: { spec: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } } },
        },
      },
    }),
  );
  t.equal(
    mixed.body.message,
    'CustomResourceDefinition.apiextensions.k8s.io "gizmos.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
  );
  const listMap = await c.call(
    'POST',
    CRD_API,
    withVersion({
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: {
            spec: {
              type: 'object',
              properties: {
                l: { type: 'array', 'x-kubernetes-list-type': 'map', items: { type: 'object', properties: { k: { type: 'string' } } } },
              },
            },
          },
        },
      },
    }),
  );
  t.equal(
    listMap.body.message,
    'CustomResourceDefinition.apiextensions.k8s.io "gizmos.example.com" is invalid: spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[l].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map',
  );
  t.equal((await c.call('GET', '/apis/example.com/v1/namespaces/default/gizmos')).status, 404, 'none of them is served');
});

t.test(
  "the project's CRDs and the upstream ones are accepted",
  { skip: existsSync(UPSTREAM) ? false : `${UPSTREAM} is absent` },
  async (t) => {
    const other = await startKubeSim({ namespaces: ['default'] });
    t.teardown(() => other.close());
    const client = await simClient(other);
    for (const file of ['applications-crd.yaml', 'compassconnections-crd.yaml']) {
      const crd = parseYaml(readFileSync(`${UPSTREAM}${file}`, 'utf8'));
      t.equal((await client.call('POST', CRD_API, crd)).status, 201, file);
    }
    const app = await client.call('POST', APPS, { metadata: { name: 'up' }, spec: { accessLabel: 'ok-label', services: [] } });
    t.same(app.body.spec, { accessLabel: 'ok-label', services: [], encodeUrl: true });
    t.equal(
      (await client.call('POST', APPS, { metadata: { name: 'bad' }, spec: { accessLabel: '-' } })).body.message,
      'Application.applicationconnector.kyma-project.io "bad" is invalid: spec.accessLabel: Invalid value: "-": spec.accessLabel in body should match \'^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$\'',
    );
    t.equal(
      (await c.call('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/compassconnections.compass.kyma-project.io')).status,
      200,
      'crds/ applied at start',
    );
  },
);
