// Subresources as the API server serves them. The upstream CompassConnection CRD (the Kyma chart's,
// without the status subresource) has no /status: every verb on it is the NotFound crdHandler answers,
// and status is written with the object. The project's CRD has the subresource: writes to the object
// leave status alone and writes to /status leave everything else alone. Built-in kinds likewise.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';
import { simClient, type SimClient } from './https-client.js';
import { UPSTREAM_INSTALL_DIR } from '../helpers/upstream-files.js';

const KUBECTL = '/usr/bin/kubectl';
const CRDS = new URL('../../crds/', import.meta.url).pathname;
const UPSTREAM_CRD = `${UPSTREAM_INSTALL_DIR}/compassconnections-crd.yaml`;
const CC = '/apis/compass.kyma-project.io/v1alpha1/compassconnections';
const MERGE = { 'content-type': 'application/merge-patch+json' };
const run = promisify(execFile);

const spec = { managementInfo: { connectorUrl: 'https://connector', directorUrl: 'https://director' } };
const status = (state: string) => ({
  connectionState: state,
  connectionStatus: { certificateStatus: { notAfter: '2099-01-01T00:00:00Z' } },
});
const notFoundStatus = (name: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  reason: 'NotFound',
  code: 404,
  message: `compassconnections.compass.kyma-project.io "${name}" not found`,
  details: { name, group: 'compass.kyma-project.io', kind: 'compassconnections' },
});

if (!existsSync(UPSTREAM_CRD)) {
  t.plan(0, `skipped: ${UPSTREAM_CRD} is absent (the upstream install files live in ../shared)`);
} else {
  let sim: KubeSim;
  let c: SimClient;
  let kubeconfig: string;
  const kubectl = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 });
      return { code: 0, out: stdout + stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  };

  t.before(async () => {
    sim = await startKubeSim({ namespaces: ['default'] });
    c = await simClient(sim);
    kubeconfig = await sim.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'kube-sim-subresources-')), 'kubeconfig'));
    await sim.applyFile(UPSTREAM_CRD);
  });
  t.teardown(() => sim.close());

  t.test('upstream CRD: no /status in discovery, every verb on /status is NotFound, status is written with the object', async (t) => {
    const discovery = (await c.call('GET', '/apis/compass.kyma-project.io/v1alpha1')).body;
    t.same(
      discovery.resources.map((r: { name: string }) => r.name),
      ['compassconnections'],
      'no compassconnections/status',
    );

    const created = await c.call('POST', CC, {
      apiVersion: 'compass.kyma-project.io/v1alpha1',
      kind: 'CompassConnection',
      metadata: { name: 'cc' },
      spec,
      status: status('Connected'),
    });
    t.equal(created.status, 201);
    t.same(created.body.status, status('Connected'), 'a create keeps status');

    for (const [method, body, headers] of [
      ['GET', undefined, {}],
      ['PUT', { ...created.body, status: status('Synchronized') }, {}],
      ['PATCH', { status: status('Synchronized') }, MERGE],
    ] as const) {
      const reply = await c.call(method, `${CC}/cc/status`, body, headers);
      t.equal(reply.status, 404, `${method} /status`);
      t.same(reply.body, notFoundStatus('cc'), `${method} /status answers as crdHandler does`);
    }
    t.same((await c.call('GET', `${CC}/absent/status`)).body, notFoundStatus('absent'));
    t.same((await c.call('GET', `${CC}/cc/scale`)).body, notFoundStatus('cc'), 'any other subresource likewise');

    const patched = await c.call('PATCH', `${CC}/cc`, { status: status('Synchronized') }, MERGE);
    t.equal(patched.status, 200);
    t.same(patched.body.status, status('Synchronized'), 'status changes through the object');
    t.equal(patched.body.metadata.generation, 2, 'and, without the subresource, bumps generation like any other change');
    t.equal((await c.call('GET', `${CC}/cc`)).body.status.connectionState, 'Synchronized');
  });

  t.test(
    "kubectl patch --subresource status on the upstream CRD gets the API server's NotFound",
    { skip: !existsSync(KUBECTL) && `${KUBECTL} is absent` },
    async (t) => {
      const reply = await kubectl(
        'patch',
        'compassconnection',
        'cc',
        '--type',
        'merge',
        '--subresource',
        'status',
        '-p',
        JSON.stringify({ status: status('Failed') }),
      );
      t.not(reply.code, 0);
      t.match(reply.out, /Error from server \(NotFound\): compassconnections\.compass\.kyma-project\.io "cc" not found/);
      const plain = await kubectl(
        'patch',
        'compassconnection',
        'cc',
        '--type',
        'merge',
        '-p',
        JSON.stringify({ status: status('Failed') }),
      );
      t.equal(plain.code, 0, plain.out);
      t.equal((await kubectl('get', 'compassconnection', 'cc', '-o', 'jsonpath={.status.connectionState}')).out, 'Failed');
    },
  );

  t.test('project CRD: writes to the object leave status alone, writes to /status leave everything else alone', async (t) => {
    await sim.applyFile(join(CRDS, 'compassconnections.compass.kyma-project.io.yaml'));
    const discovery = (await c.call('GET', '/apis/compass.kyma-project.io/v1alpha1')).body;
    t.same(
      discovery.resources.map((r: { name: string }) => r.name),
      ['compassconnections', 'compassconnections/status'],
    );
    const created = await c.call('POST', CC, { metadata: { name: 'with-sub' }, spec, status: status('Connected') });
    t.equal(created.status, 201);
    t.notOk('status' in created.body, 'a create drops status');
    const viaStatus = await c.call('PUT', `${CC}/with-sub/status`, {
      ...created.body,
      metadata: { ...created.body.metadata, labels: { changed: 'yes' } },
      spec: { ...spec, resyncNow: true },
      status: status('Synchronized'),
    });
    t.equal(viaStatus.status, 200);
    t.same(viaStatus.body.status, status('Synchronized'));
    t.same(viaStatus.body.spec, spec, '/status ignores spec');
    t.notOk(viaStatus.body.metadata.labels, '/status ignores metadata');
    t.equal(viaStatus.body.metadata.generation, 1);
    const viaObject = await c.call('PATCH', `${CC}/with-sub`, { status: status('Failed') }, MERGE);
    t.equal(viaObject.body.metadata.resourceVersion, viaStatus.body.metadata.resourceVersion, 'status on the object is a no-op');
    t.same(viaObject.body.status, status('Synchronized'));
    // The object written before the subresource existed keeps its status and now has /status.
    t.equal((await c.call('GET', `${CC}/cc/status`)).status, 200);
  });

  t.test('built-in kinds: Namespace and PodDisruptionBudget /status; Secrets have none (the generic 404)', async (t) => {
    const ns = (await c.call('GET', '/api/v1/namespaces/default')).body;
    const nsStatus = await c.call('PUT', '/api/v1/namespaces/default/status', {
      ...ns,
      spec: { finalizers: [] },
      status: { phase: 'Terminating' },
    });
    t.match(nsStatus.body, { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Terminating' } });
    const pdb = await c.call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
      metadata: { name: 'p' },
      spec: { minAvailable: 1 },
      status: { expectedPods: 7 },
    });
    t.match(pdb.body, { spec: { minAvailable: 1 }, status: { expectedPods: 0 } }, 'a create resets status');
    const pdbStatus = await c.call(
      'PATCH',
      '/apis/policy/v1/namespaces/default/poddisruptionbudgets/p/status',
      { spec: { minAvailable: 5 }, status: { expectedPods: 3 } },
      MERGE,
    );
    t.match(pdbStatus.body, { spec: { minAvailable: 1 }, status: { expectedPods: 3 }, metadata: { generation: 1 } });
    await c.call('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 's' } });
    t.match(await c.call('GET', '/api/v1/namespaces/default/secrets/s/status'), {
      status: 404,
      body: { reason: 'NotFound', message: 'the server could not find the requested resource', details: {} },
    });
  });

  t.test(
    "applying the upstream CRD over the project's with kubectl takes the subresource away",
    { skip: !existsSync(KUBECTL) && `${KUBECTL} is absent` },
    async (t) => {
      const applied = await kubectl('apply', '-f', UPSTREAM_CRD);
      t.equal(applied.code, 0, applied.out);
      t.equal((await c.call('GET', `${CC}/with-sub/status`)).status, 404);
      const discovery = (await c.call('GET', '/apis/compass.kyma-project.io/v1alpha1')).body;
      t.same(
        discovery.resources.map((r: { name: string }) => r.name),
        ['compassconnections'],
      );
    },
  );
}
