// GET /openapi/v3 over HTTPS: the discovery root with content-addressed URLs, the group-version
// documents kubectl reads (fieldValidation on PATCH, kinds marked with their GVK), caching and
// redirects as kube-openapi's handler3 does them.
import t from 'tap';
import { createHash } from 'node:crypto';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';
import { simClient, type SimClient } from './https-client.js';

const CRDS = new URL('../../crds/', import.meta.url).pathname;
const CC_GV = 'apis/compass.kyma-project.io/v1alpha1';
const CC_KIND = 'io.kyma-project.compass.v1alpha1.CompassConnection';

let sim: KubeSim;
let c: SimClient;

t.before(async () => {
  sim = await startKubeSim({ crdDir: CRDS, namespaces: ['default'] });
  c = await simClient(sim);
});
t.teardown(() => sim.close());

const root = async () => (await c.call('GET', '/openapi/v3')).body as { paths: Record<string, { serverRelativeURL: string }> };

t.test('the root lists each custom resource group-version at a URL carrying the SHA-512 of its document', async (t) => {
  const reply = await c.call('GET', '/openapi/v3');
  t.equal(reply.status, 200);
  t.equal(reply.headers['content-type'], 'application/json');
  t.same(Object.keys(reply.body.paths).sort(), ['apis/applicationconnector.kyma-project.io/v1alpha1', CC_GV], 'custom resources only');
  const url = reply.body.paths[CC_GV].serverRelativeURL as string;
  const doc = await c.call('GET', url);
  t.equal(doc.status, 200);
  const text = JSON.stringify(doc.body);
  const hash = createHash('sha512').update(text).digest('hex').toUpperCase();
  t.equal(url, `/openapi/v3/${CC_GV}?hash=${hash}`);
  t.equal(doc.headers.etag, `"${hash}"`);
  t.equal(doc.headers['cache-control'], 'public, immutable', 'a hashed URL never changes');
});

t.test('a group-version document: the kind with its GVK, and a PATCH that lists fieldValidation', async (t) => {
  const doc = (await c.call('GET', (await root()).paths[CC_GV].serverRelativeURL)).body;
  t.equal(doc.openapi, '3.0.0');
  const kind = doc.components.schemas[CC_KIND];
  t.same(kind['x-kubernetes-group-version-kind'], [{ group: 'compass.kyma-project.io', kind: 'CompassConnection', version: 'v1alpha1' }]);
  t.same(kind.required, ['spec']);
  t.same(Object.keys(kind.properties.spec.properties).sort(), ['managementInfo', 'refreshCredentialsNow', 'resyncNow']);
  t.match(kind.properties.metadata, { allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] });
  t.ok(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'], 'the referenced ObjectMeta is in the document');
  t.match(doc.components.schemas[`${CC_KIND}List`], {
    required: ['items'],
    properties: { items: { items: { $ref: `#/components/schemas/${CC_KIND}` } } },
  });
  for (const path of [
    '/apis/compass.kyma-project.io/v1alpha1/compassconnections/{name}',
    '/apis/compass.kyma-project.io/v1alpha1/compassconnections/{name}/status',
  ]) {
    const patch = doc.paths[path].patch;
    t.same(
      patch['x-kubernetes-group-version-kind'],
      { group: 'compass.kyma-project.io', version: 'v1alpha1', kind: 'CompassConnection' },
      path,
    );
    t.ok(
      patch.parameters.some((p: { name: string; in: string }) => p.name === 'fieldValidation' && p.in === 'query'),
      `${path} PATCH takes fieldValidation`,
    );
    t.same(
      Object.keys(patch.requestBody.content).sort(),
      ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json'],
      'no strategic merge patch: kubectl sends merge patches',
    );
  }
  t.equal(doc.paths['/apis/compass.kyma-project.io/v1alpha1/compassconnections'].post['x-kubernetes-action'], 'post');
});

t.test('an outdated hash redirects to the current document; If-None-Match gets 304; an unknown group-version 404', async (t) => {
  const url = (await root()).paths[CC_GV].serverRelativeURL;
  const stale = await c.call('GET', `/openapi/v3/${CC_GV}?hash=0000`);
  t.equal(stale.status, 301);
  t.equal(stale.headers.location, url);
  const etag = (await c.call('GET', url)).headers.etag as string;
  t.equal((await c.call('GET', url, undefined, { 'if-none-match': etag })).status, 304);
  t.equal((await c.call('GET', '/openapi/v3/apis/nope.io/v1')).status, 404);
  t.equal(
    (await c.call('GET', url, undefined, { accept: 'application/com.github.proto-openapi.spec.v3.v1.0+protobuf' })).status,
    406,
    'JSON only',
  );
});

t.test('a CRD change gives its group-version a new hash; a new CRD group appears in the root', async (t) => {
  const before = (await root()).paths[CC_GV].serverRelativeURL;
  const crd = (await c.call('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/compassconnections.compass.kyma-project.io'))
    .body;
  crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.note = { type: 'string', description: 'added' };
  t.equal((await c.call('PUT', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, crd)).status, 200);
  const after = (await root()).paths[CC_GV].serverRelativeURL;
  t.not(after, before);
  t.equal((await c.call('GET', after)).body.components.schemas[CC_KIND].properties.spec.properties.note.description, 'added');
  await c.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  });
  const doc = (await c.call('GET', (await root()).paths['apis/example.com/v1'].serverRelativeURL)).body;
  t.ok(doc.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}'].patch, 'namespaced paths');
  t.ok(doc.paths['/apis/example.com/v1/widgets'].get, 'and the list across namespaces');
  t.same(doc.components.schemas['com.example.v1.Widget']['x-kubernetes-preserve-unknown-fields'], true);
});

t.test('/openapi/v2 stays the empty protobuf document', async (t) => {
  const reply = await c.call('GET', '/openapi/v2');
  t.equal(reply.status, 200);
  t.equal(reply.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
});

t.test('published schemas unfold int-or-string and complete embedded resources, as the API server does', async (t) => {
  await c.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'jobs.batch.example.com' },
    spec: {
      group: 'batch.example.com',
      scope: 'Cluster',
      names: { plural: 'jobs', kind: 'Job' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    port: { 'x-kubernetes-int-or-string': true },
                    template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
                  },
                },
              },
            },
          },
        },
      ],
    },
  });
  const doc = (await c.call('GET', (await root()).paths['apis/batch.example.com/v1'].serverRelativeURL)).body;
  const spec = doc.components.schemas['com.example.batch.v1.Job'].properties.spec.properties;
  t.same(spec.port, { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] });
  t.same(spec.template.required, ['kind', 'apiVersion']);
  t.same(Object.keys(spec.template.properties).sort(), ['apiVersion', 'kind', 'metadata']);
  t.notOk(doc.paths['/apis/batch.example.com/v1/jobs/{name}/status'], 'no status subresource, no status path');
});
