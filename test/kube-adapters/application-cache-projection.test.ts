// The Application store keeps what its projection returns, for listed, watched and written objects
// alike, so the agent's cache can hold a compact form instead of whole objects.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim } from '../../sim/kube/index.js';
import { createKubeClient, loadKubeConfig } from '../../adapters/kube/kube-client.js';
import { ApplicationStore, MANAGED_BY_LABEL, MANAGED_BY_VALUE, type ApplicationObject } from '../../adapters/kube/application-store.js';

const dir = await mkdtemp(join(tmpdir(), 'app-cache-'));
const sim = await startKubeSim({ crdDir: join(process.cwd(), 'crds'), namespaces: ['default'] });
t.teardown(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});
const { kubeConfig } = loadKubeConfig({ kubeconfigPath: await sim.writeKubeconfig(join(dir, 'kubeconfig')) });
const client = createKubeClient(kubeConfig);

const application = (name: string): ApplicationObject => ({
  apiVersion: 'applicationconnector.kyma-project.io/v1alpha1',
  kind: 'Application',
  metadata: { name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
  spec: {
    description: `${name} from Compass`,
    services: [{ id: 's1', name: 'big', displayName: 'Big', providerDisplayName: 'Provider', description: 'A big service', entries: [] }],
    compassMetadata: { applicationId: `id-${name}`, authentication: { clientIds: [] } },
  },
});

/** Marks what it kept, so the test can tell projected objects from whole ones. */
const project = (app: ApplicationObject): ApplicationObject => {
  const { services: _services, ...spec } = app.spec;
  return { ...app, spec: { ...spec, projected: true } };
};

t.test('listed, written and watched Applications are all kept projected', async (t) => {
  await sim.create(application('listed'));
  const store = new ApplicationStore(client, { project, syncTimeoutMs: 10_000, watch: { backoff: { initialMs: 20, maxMs: 200 } } });
  t.teardown(() => store.close());
  const kept = async () => Object.fromEntries((await store.listManaged()).map((a) => [a.metadata.name, a.spec]));

  // encodeUrl: the CRD's default, applied by the API server.
  t.same(await kept(), {
    listed: {
      description: 'listed from Compass',
      encodeUrl: true,
      compassMetadata: { applicationId: 'id-listed', authentication: { clientIds: [] } },
      projected: true,
    },
  });

  const created = await store.create(application('written'));
  t.ok(Array.isArray(created.spec.services), 'create returns the whole stored object');
  t.equal((await kept()).written?.projected, true);

  await sim.create(application('watched'));
  const deadline = Date.now() + 10_000;
  while (!(await kept()).watched && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.equal((await kept()).watched?.projected, true);
  t.notOk(
    Object.values(await kept()).some((spec) => 'services' in spec),
    'no whole object is held',
  );
});
