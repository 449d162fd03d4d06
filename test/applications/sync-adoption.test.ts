// Applications the Go agent left (spec.compassMetadata, no managed-by label): the plan adopts those the
// Director still assigns and deletes the others; the Go agent's Secrets of an adopted Application are
// updated, not reported as foreign, also with the serviceId label of older Go agents; the ownership
// rule is not relaxed for anything else. The plan alone (pure), then the synchronisation through the
// real Kubernetes stores against the simulator over TLS.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim } from '../../sim/kube/index.js';
import { createKubeClient, loadKubeConfig } from '../../adapters/kube/kube-client.js';
import { ApplicationStore } from '../../adapters/kube/application-store.js';
import { SecretStore, encodeSecretData } from '../../adapters/kube/secret-store.js';
import { applicationStoreOptions, syncPorts } from '../../src/agent/sync-ports.js';
import { goEraSecretLabels, isListedForSync, ownershipOf } from '../../src/applications/adoption.js';
import type { ApplicationObject } from '../../src/applications/application-resource.js';
import { applyConfiguration } from '../../src/applications/apply-configuration.js';
import { convertApplication, type DesiredApplication } from '../../src/applications/converter.js';
import { SecretContentRecord } from '../../src/applications/secret-content-record.js';
import { mergeOwnedFields, planSync } from '../../src/applications/sync-plan.js';
import { api, application, basicAuth, bundle, decode, options } from './director-fixtures.js';

const NS = options.integrationNamespace;
const API_VERSION = 'applicationconnector.kyma-project.io/v1alpha1';
const MANAGED_BY = 'applicationconnector.kyma-project.io/managed-by';
const id = (n: number) => `a0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const bundleId = (n: number) => `b0000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** A Director application with one bundle of Basic credentials and a request header. */
function directorApp(n: number, name: string, password: string) {
  return application(id(n), name, {
    bundles: [
      bundle(bundleId(n), `bundle ${n}`, {
        apiDefinitions: [api(`c0000000-0000-4000-8000-${String(n).padStart(12, '0')}`, 'orders')],
        defaultInstanceAuth: basicAuth(`user-${n}`, password, { additionalHeaders: { 'x-tenant': [`t${n}`] } }),
      }),
    ],
  });
}

function desired(n: number, name: string, password = `password-${n}`): DesiredApplication {
  return convertApplication(directorApp(n, name, password), name, options);
}

/** The Application as a Go agent before late 2021 wrote it: no managed-by label. */
function goEra(app: ApplicationObject, uid = `uid-${app.metadata.name}`): ApplicationObject {
  const copy = structuredClone(app);
  delete copy.metadata.labels;
  copy.metadata = { ...copy.metadata, uid, resourceVersion: '7' };
  return copy;
}

t.test('ownership: managed, Go-era (compassMetadata without any managed-by label), foreign', async (t) => {
  const app = desired(1, 'shop').application;
  t.equal(ownershipOf(app), 'managed');
  t.equal(ownershipOf(goEra(app)), 'go-era');
  t.equal(ownershipOf({ ...goEra(app), metadata: { name: 'shop', labels: { team: 'a' } } }), 'go-era', 'other labels do not matter');
  t.equal(
    ownershipOf({ ...app, metadata: { name: 'shop', labels: { [MANAGED_BY]: 'someone-else' } } }),
    'foreign',
    "another manager's label",
  );
  t.equal(
    ownershipOf({ ...app, metadata: { name: 'shop', labels: { [MANAGED_BY]: '' } } }),
    'foreign',
    'an empty managed-by label is not the Go agent’s either',
  );
  const noMetadata = goEra(app);
  delete noMetadata.spec.compassMetadata;
  t.equal(ownershipOf(noMetadata), 'foreign', 'no compassMetadata: never the agent’s');
  t.equal(ownershipOf({ ...app, spec: { ...app.spec, compassMetadata: undefined } }), 'foreign');

  t.ok(isListedForSync(app));
  t.ok(isListedForSync(goEra(app)));
  t.ok(
    isListedForSync({ ...noMetadata, metadata: { name: 'x', labels: { [MANAGED_BY]: 'compass-runtime-agent' } } }),
    'the agent’s label without compassMetadata is listed (and reported)',
  );
  t.notOk(isListedForSync(noMetadata), 'a user’s Application is not listed');
  t.notOk(isListedForSync({ ...app, metadata: { name: 'shop', labels: { [MANAGED_BY]: 'someone-else' } } }));

  t.same(goEraSecretLabels({ app: 'shop', bundleId: 'b1' }), { app: 'shop', serviceId: 'b1' });
  t.equal(goEraSecretLabels({ app: 'shop' }), undefined);
});

t.test(
  'plan: a Go-era Application the Director assigns is adopted in place; one it no longer assigns is deleted; the rest untouched',
  async (t) => {
    const shop = desired(1, 'shop');
    const storedShop = goEra(shop.application);
    storedShop.spec.description = 'as the Go agent wrote it long ago';
    storedShop.spec.skipVerify = true;
    storedShop.metadata.annotations = { 'team/owner': 'shop' };
    const gone = goEra(desired(2, 'gone').application);
    const userApp = goEra(desired(3, 'user-app').application);
    delete userApp.spec.compassMetadata;
    const otherManager = {
      ...desired(4, 'other').application,
      metadata: { name: 'other', uid: 'uid-other', labels: { [MANAGED_BY]: 'someone-else' } },
    };

    const plan = planSync([shop], [storedShop, gone, userApp, otherManager], NS);
    t.same(plan.operations.map((op) => `${op.kind} ${op.name}`).sort(), ['delete gone', 'update shop']);
    const adopt = plan.operations.find((op) => op.name === 'shop')!;
    t.ok(adopt.kind === 'update' && adopt.adopting, 'the update adopts');
    if (adopt.kind !== 'update') return;
    t.equal(adopt.application.metadata.uid, 'uid-shop', 'in place: the same object');
    t.equal(adopt.application.metadata.resourceVersion, '7', 'conditional on the version read');
    t.equal(adopt.application.metadata.labels?.[MANAGED_BY], 'compass-runtime-agent', 'the label comes with the first write');
    t.equal(adopt.application.spec.description, shop.application.spec.description, 'owned fields from the Director');
    t.equal(adopt.application.spec.skipVerify, true, 'fields the agent does not own are kept');
    t.same(adopt.application.metadata.annotations, { 'team/owner': 'shop' });
    const remove = plan.operations.find((op) => op.name === 'gone')!;
    t.ok(remove.kind === 'delete' && remove.goEra, 'the Go agent would delete it: so does the agent');
    t.same(remove.kind === 'delete' && remove.secrets.map((s) => s.name), [`gone-${bundleId(2)}`, `params-gone-${bundleId(2)}`]);

    // Both sides pinned: with Director applications of their names, the user's and the other manager's are conflicts.
    const clash = planSync([desired(3, 'user-app'), desired(4, 'other')], [userApp, otherManager], NS);
    t.same(clash.operations.map((op) => `${op.kind} ${op.name}`).sort(), ['conflict other', 'conflict user-app']);
  },
);

t.test('plan: a Go-era Application is kept when its Director application cannot be applied or shares its name', async (t) => {
  const broken = { ...desired(5, 'broken'), problems: ['its name is broken'] };
  const storedBroken = goEra(desired(5, 'broken').application);
  const dup = goEra(desired(6, 'dup').application);
  const plan = planSync([broken, desired(6, 'dup'), desired(7, 'dup')], [storedBroken, dup], NS);
  t.same(plan.operations, [], 'neither deleted nor adopted');
  t.same(
    plan.duplicates.map((d) => d.name),
    ['dup'],
  );
  t.same(
    plan.rejected.map((r) => r.name),
    ['broken'],
  );
});

t.test('mergeOwnedFields of a Go-era object adds only the label to its metadata', async (t) => {
  const shop = desired(1, 'shop');
  const stored = goEra(shop.application);
  stored.metadata.labels = { team: 'shop' };
  const merged = mergeOwnedFields(stored, shop.application);
  t.same(merged.metadata.labels, { team: 'shop', [MANAGED_BY]: 'compass-runtime-agent' });
});

// ---- through the Kubernetes simulator ----

const dir = await mkdtemp(join(tmpdir(), 'sync-adoption-'));
const sim = await startKubeSim({ crdDir: join(process.cwd(), 'crds'), namespaces: ['default', NS] });
t.teardown(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});
const { kubeConfig } = loadKubeConfig({ kubeconfigPath: await sim.writeKubeconfig(join(dir, 'kubeconfig')) });
const client = createKubeClient(kubeConfig);

type Stored = Record<string, any>;
const storedApp = (name: string): Stored | undefined => sim.get(API_VERSION, 'Application', name);
const storedSecret = (name: string): Stored | undefined => sim.get('v1', 'Secret', name, NS);

/** Seeds a Go-era Application (no label) and returns its uid. */
async function seedGoEraApplication(
  app: ApplicationObject,
  extra: { annotations?: Record<string, string>; skipVerify?: boolean } = {},
): Promise<string> {
  const { labels: _labels, ...metadata } = app.metadata;
  const created = await sim.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { ...metadata, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { ...app.spec, ...(extra.skipVerify !== undefined ? { skipVerify: extra.skipVerify } : {}) },
  });
  return created.metadata.uid as string;
}

/** A Secret as the Go agent wrote it: its labels, an ownerReference to the Application, the data. */
async function seedGoEraSecret(
  name: string,
  owner: { name: string; uid: string } | null,
  labels: Record<string, string>,
  data: Record<string, string>,
): Promise<Stored> {
  return sim.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: NS,
      labels,
      ...(owner ? { ownerReferences: [{ apiVersion: API_VERSION, kind: 'Application', name: owner.name, uid: owner.uid }] } : {}),
    },
    type: 'Opaque',
    data: encodeSecretData(data),
  });
}

/** What the Director assigns, across the tests below (they share the cluster: a fetch is always complete). */
const assigned = new Map<string, ReturnType<typeof directorApp>>();
function directorConfiguration(...apps: Array<ReturnType<typeof directorApp>>) {
  for (const app of apps) assigned.set(app.id, app);
  return { runtimeLabels: { isNormalized: 'true' }, applications: [...assigned.values()] };
}

function agentPorts() {
  const applications = new ApplicationStore(client, { syncTimeoutMs: 10_000, ...applicationStoreOptions });
  t.teardown(() => applications.close());
  return Object.assign(syncPorts(applications, new SecretStore(client)), {
    /** Until the store's watch has seen `name` (an object created behind its back). */
    async seen(name: string): Promise<void> {
      const deadline = Date.now() + 20_000;
      while (!(await applications.listManaged()).some((app) => app.metadata.name === name)) {
        if (Date.now() > deadline) throw new Error(`the Application store never saw ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  });
}

t.test(
  'adoption through Kubernetes: Go-era Secrets updated (serviceId too), the Application labelled last, foreign Secrets refused',
  async (t) => {
    const shop = desired(11, 'shop', 'new-password');
    const shopUid = await seedGoEraApplication(shop.application, { annotations: { 'team/owner': 'shop' }, skipVerify: true });
    const credentials = `shop-${bundleId(11)}`;
    const params = `params-shop-${bundleId(11)}`;
    // The credential Secret of an API-package-era Go agent (serviceId), unchanged since: old password.
    const oldCredentials = await seedGoEraSecret(
      credentials,
      { name: 'shop', uid: shopUid },
      { app: 'shop', serviceId: bundleId(11) },
      { username: 'user-11', password: 'old-password' },
    );
    const oldParams = await seedGoEraSecret(
      params,
      { name: 'shop', uid: shopUid },
      { app: 'shop', bundleId: bundleId(11) },
      { headers: '{"x-tenant":["old"]}' },
    );

    // A second Go-era Application whose Secret name is held by a Secret that is not its own (no ownerReference).
    const cafe = desired(12, 'cafe');
    const cafeUid = await seedGoEraApplication(cafe.application);
    const squatter = await seedGoEraSecret(
      `cafe-${bundleId(12)}`,
      null,
      { app: 'cafe', bundleId: bundleId(12) },
      { username: 'someone', password: 'else' },
    );

    const ports = agentPorts();
    const record = new SecretContentRecord();
    sim.clearRequestLog();
    const report = await applyConfiguration(
      directorConfiguration(directorApp(11, 'shop', 'new-password'), directorApp(12, 'cafe', 'password-12')),
      ports,
      { ...options, secretContent: record },
    );
    t.same(report.goEra, { adopted: ['cafe', 'shop'], deleted: [] });
    t.equal(report.updated, 1, 'cafe counts as failed: one of its Secrets was left alone');

    const adopted = storedApp('shop')!;
    t.equal(adopted.metadata.uid, shopUid, 'updated in place');
    t.equal(adopted.metadata.labels[MANAGED_BY], 'compass-runtime-agent', 'labelled');
    t.equal(adopted.spec.skipVerify, true, 'a field the agent does not own is kept');
    t.same(adopted.metadata.annotations, { 'team/owner': 'shop' });
    t.equal(adopted.spec.compassMetadata.applicationId, id(11));

    const newCredentials = storedSecret(credentials)!;
    t.equal(newCredentials.metadata.uid, oldCredentials.metadata.uid, 'the Go agent’s credential Secret is updated, not re-created');
    t.equal(decode(newCredentials.data.password), 'new-password', 'with the Director’s credentials');
    t.match(
      newCredentials.metadata.labels,
      { app: 'shop', bundleId: bundleId(11), serviceId: bundleId(11) },
      'the agent’s labels added, the old one kept',
    );
    const newParams = storedSecret(params)!;
    t.equal(newParams.metadata.uid, oldParams.metadata.uid);
    t.same(JSON.parse(decode(newParams.data.headers)), { 'x-tenant': ['t11'] });

    // Order: every Secret write of an adoption comes before the Application's update.
    const shopRequests = sim.requestLog
      .filter((e) => ['update', 'create', 'delete'].includes(e.verb) && [credentials, params, 'shop'].includes(e.name ?? ''))
      .map((e) => `${e.verb} ${e.resource} ${e.name}`);
    t.same(shopRequests.at(-1), 'update applications shop', `the label is written last: ${shopRequests.join(', ')}`);

    t.equal(storedApp('cafe')!.metadata.labels[MANAGED_BY], 'compass-runtime-agent', 'a foreign Secret does not hold the adoption back');
    t.same(storedSecret(`cafe-${bundleId(12)}`), squatter, 'the Secret that is not the Go agent’s is left byte-identical');
    const cafeFailure = report.failed.find((f) => f.name === 'cafe');
    t.match(
      cafeFailure?.message,
      /Application cafe \(created by the Go agent\) was adopted; Secret kyma-system\/cafe-b0000000-0000-4000-8000-000000000012 .*not the agent's \(it has no ownerReference to Application cafe/,
    );
    t.ok(cafeUid);

    // After adoption the Application is managed: its Secrets follow the strict rule, as for any other.
    await t.test('after adoption, a Secret with only the serviceId label is not the agent’s', async (t) => {
      const gym = desired(13, 'gym');
      const gymApp = await sim.create({ ...gym.application, metadata: { ...gym.application.metadata } });
      const legacyOnly = await seedGoEraSecret(
        `gym-${bundleId(13)}`,
        { name: 'gym', uid: gymApp.metadata.uid },
        { app: 'gym', serviceId: bundleId(13) },
        { username: 'x', password: 'y' },
      );
      await ports.seen('gym');
      const next = await applyConfiguration(directorConfiguration(directorApp(13, 'gym', 'password-13')), ports, {
        ...options,
        secretContent: record,
      });
      t.same(storedSecret(`gym-${bundleId(13)}`), legacyOnly, 'left byte-identical');
      t.match(
        next.failed.find((f) => f.name === 'gym')?.message,
        /not the agent's \(it lacks the label bundleId=b0000000-0000-4000-8000-000000000013\)/,
      );
      t.same(next.goEra, { adopted: [], deleted: [] }, 'nothing left to adopt');
    });
  },
);

t.test('a failed Secret write leaves the Go-era Application unlabelled; the next cycle adopts it', async (t) => {
  const mill = desired(21, 'mill', 'fresh');
  const millUid = await seedGoEraApplication(mill.application);
  const name = `mill-${bundleId(21)}`;
  await seedGoEraSecret(
    name,
    { name: 'mill', uid: millUid },
    { app: 'mill', serviceId: bundleId(21) },
    { username: 'user-21', password: 'stale' },
  );
  const ports = agentPorts();
  const record = new SecretContentRecord();
  // A fetch each cycle: the apply consumes the applications of the configuration it is given.
  const configuration = () => directorConfiguration(directorApp(21, 'mill', 'fresh'));

  sim.faults.failNext({ verb: 'update', resource: 'secrets', name, status: 500 });
  const failed = await applyConfiguration(configuration(), ports, { ...options, secretContent: record });
  t.match(
    failed.failed.find((f) => f.name === 'mill')?.message,
    /replacing Secret kyma-system\/mill-b0000000-0000-4000-8000-000000000021 of Application mill failed/,
  );
  t.same(failed.goEra.adopted, []);
  t.notOk(storedApp('mill')!.metadata.labels?.[MANAGED_BY], 'still as the Go agent left it');

  const next = await applyConfiguration(configuration(), ports, { ...options, secretContent: record });
  t.same(next.goEra.adopted, ['mill'], 'adopted, the serviceId Secret still recognised');
  t.equal(
    next.failed.find((f) => f.name === 'mill'),
    undefined,
  );
  t.equal(decode(storedSecret(name)!.data.password), 'fresh');
  t.equal(storedApp('mill')!.metadata.labels[MANAGED_BY], 'compass-runtime-agent');
});

t.test('a Go-era Application the Director no longer assigns is deleted with its Go-era Secrets; other objects stay', async (t) => {
  const old = desired(31, 'old-shop');
  const oldUid = await seedGoEraApplication(old.application);
  await seedGoEraSecret(
    `old-shop-${bundleId(31)}`,
    { name: 'old-shop', uid: oldUid },
    { app: 'old-shop', bundleId: bundleId(31) },
    { username: 'u', password: 'p' },
  );
  await seedGoEraSecret(
    `params-old-shop-${bundleId(31)}`,
    { name: 'old-shop', uid: oldUid },
    { app: 'old-shop', bundleId: bundleId(31) },
    { headers: '{}' },
  );
  const unrelated = await seedGoEraSecret('old-shop-notes', null, { app: 'old-shop' }, { note: 'mine' });
  const user = await sim.create({
    apiVersion: API_VERSION,
    kind: 'Application',
    metadata: { name: 'users-own' },
    spec: { description: 'not from Compass', services: [] },
  });
  const ports = agentPorts();

  const report = await applyConfiguration(directorConfiguration(), ports, { ...options, secretContent: new SecretContentRecord() });
  t.same(report.goEra.deleted, ['old-shop']);
  t.equal(storedApp('old-shop'), undefined);
  t.equal(storedSecret(`old-shop-${bundleId(31)}`), undefined);
  t.equal(storedSecret(`params-old-shop-${bundleId(31)}`), undefined);
  t.same(storedSecret('old-shop-notes'), unrelated, 'a Secret it does not own is left');
  t.same(storedApp('users-own'), user, 'an Application without compassMetadata is left byte-identical');
});
