// Acceptance: nothing the Director sends, and no edit of an Application, makes the agent replace or
// delete a Secret that is not its own. With the Runtime labelled isNormalized=true (names taken as
// they are) an application `cluster-client` with a bundle `certificates` names the agent's client
// certificate Secret, `compass-agent` + `configuration` its configuration Secret: both stay
// byte-identical (data, labels, annotations, resourceVersion) through the Kubernetes simulator. A
// Secret with the right name and labels but no ownerReference to the Application (or one to another
// Application) is left alone and reported; the agent's own Secrets are replaced and deleted as before.
import t, { type Test } from 'tap';
import { CLIENT_SECRET, CONFIG_SECRET, startHarness, type Harness, type SyncOutcomeView } from '../helpers/agent-harness.js';
import { APP_API, uuid, type Json } from '../helpers/sync-checks.js';

const NS = 'kyma-system';
const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const basic = (username: string, password: string) => ({ credential: { __typename: 'BasicCredentialData' as const, username, password } });
const bundle = (id: string, password: string) => ({
  id,
  name: `bundle ${id.slice(0, 8)}`,
  defaultInstanceAuth: basic(`user-${id.slice(0, 8)}`, password),
  apiDefinitions: [
    { id: uuid('d0000000', Number.parseInt(id.slice(-4), 16) || 1), name: 'api', targetURL: 'https://target.example.com/api' },
  ],
});

function stored(h: Harness, name: string, namespace = NS): string | undefined {
  const object = h.sims.kube.get('v1', 'Secret', name, namespace);
  return object === undefined ? undefined : JSON.stringify(object);
}

function application(h: Harness, name: string): Json | undefined {
  return h.sims.kube.get(APP_API, 'Application', name) as Json | undefined;
}

function writesTo(h: Harness, mark: number, names: string[]): string[] {
  return h.sims.kube.requestLog
    .slice(mark)
    .filter((entry) => entry.resource === 'secrets' && WRITE_VERBS.includes(entry.verb) && names.includes(entry.name ?? ''))
    .map((entry) => `${entry.verb} ${entry.name} ${entry.status}`);
}

/** The first synchronization outcome after `mark` (event-log seq) whose error matches: never missed, unlike a CR state. */
function outcomeMatching(h: Harness, mark: number, pattern: RegExp, timeoutMs = 30_000): Promise<SyncOutcomeView> {
  return h.waitFor(
    `a synchronization outcome matching ${pattern}`,
    () => h.syncOutcomes(mark).find((outcome) => pattern.test(outcome.error ?? '')),
    timeoutMs,
  );
}

/** Both of the agent's Secrets exactly as they are now, checked again by `unchanged`. */
function agentSecretsSnapshot(t: Test, h: Harness): { unchanged(what: string): void } {
  const before = { client: stored(h, CLIENT_SECRET.name), config: stored(h, CONFIG_SECRET.name) };
  t.ok(before.client && before.config, 'both Secrets exist');
  return {
    unchanged(what) {
      t.equal(stored(h, CLIENT_SECRET.name), before.client, `${what}: ${CLIENT_SECRET.namespace}/${CLIENT_SECRET.name} byte-identical`);
      t.equal(stored(h, CONFIG_SECRET.name), before.config, `${what}: ${CONFIG_SECRET.namespace}/${CONFIG_SECRET.name} byte-identical`);
    },
  };
}

t.test('Secret ownership with names taken as the Director sends them', async (t) => {
  const h = await startHarness({ apps: 0 });
  t.teardown(() => h.close());
  const compass = h.sims.compass.control;
  const runtimeId = h.sims.compass.runtimeId;
  compass.upsertRuntime({ id: runtimeId, labels: { ...compass.runtimeLabels(runtimeId), isNormalized: 'true' } });
  const SHOP = { id: uuid('a1000000', 1), bundle: uuid('b1000000', 1) };
  compass.upsertApplication({ id: SHOP.id, name: 'shop', bundles: [bundle(SHOP.bundle, 'shop-password-1')] });
  await h.writeConfigSecret();
  h.startAgent();
  await h.waitForState('Synchronized');
  t.ok(h.secretData({ namespace: NS, name: `shop-${SHOP.bundle}` }), 'the agent works as usual');

  await t.test('Director data naming the client certificate or configuration Secret leaves both byte-identical', async (t) => {
    const snapshot = agentSecretsSnapshot(t, h);
    const logMark = h.sims.kube.requestLog.length;
    const seq = h.lastEventSeq();
    const CLIENT = { id: uuid('a1000000', 2) };
    const CONFIG = { id: uuid('a1000000', 3) };
    compass.upsertApplication({
      id: CLIENT.id,
      name: 'cluster-client',
      bundles: [{ id: 'certificates', name: 'certs', defaultInstanceAuth: basic('intruder', 'intruder-password-1') }],
    });
    compass.upsertApplication({
      id: CONFIG.id,
      name: 'compass-agent',
      bundles: [{ id: 'configuration', name: 'cfg', defaultInstanceAuth: basic('intruder', 'intruder-password-2') }],
    });
    const failed = await outcomeMatching(h, seq, new RegExp(CLIENT.id));
    t.equal(failed.result, 'ResourceApplicationFailed');
    t.match(
      failed.error,
      new RegExp(
        `Compass application ${CLIENT.id} named "cluster-client" is not applied: the Secret of bundle certificates would be kyma-system/cluster-client-certificates, which is the agent's client certificate Secret`,
      ),
    );
    t.match(
      failed.error,
      new RegExp(
        `Compass application ${CONFIG.id} named "compass-agent" is not applied: .*kyma-system/compass-agent-configuration, which is the agent's configuration Secret`,
      ),
    );
    t.equal(failed.summary?.failed, 2, 'two applications failed');
    const cr = await h.waitForState('ResourceApplicationFailed');
    t.match(
      cr.status?.synchronizationStatus?.error,
      /^Failed to apply configuration: 2 of 3 applications failed: .*cluster-client-certificates/,
    );
    await h.waitForSyncCycles(2);
    snapshot.unchanged('while the Director names them');
    t.same(writesTo(h, logMark, [CLIENT_SECRET.name, CONFIG_SECRET.name]), [], 'no write request to either');
    t.notOk(application(h, 'cluster-client'), 'the malformed application is not applied');
    t.notOk(application(h, 'compass-agent'));
    t.notOk(h.logs.join('\n').includes('intruder-password'), 'the credentials are not logged');

    compass.removeApplication(CLIENT.id);
    compass.removeApplication(CONFIG.id);
    await h.waitForState('Synchronized');
    await h.waitForSyncCycles(2);
    snapshot.unchanged('after the applications are removed');
    t.same(writesTo(h, logMark, [CLIENT_SECRET.name, CONFIG_SECRET.name]), []);
  });

  await t.test(
    'an Application whose bundle id becomes `certificates` is kept; removed, its own Secret goes and the key Secret stays',
    async (t) => {
      const snapshot = agentSecretsSnapshot(t, h);
      const logMark = h.sims.kube.requestLog.length;
      const APP = { id: uuid('a1000000', 4), bundle: uuid('b1000000', 4) };
      const own = `cluster-client-${APP.bundle}`;
      compass.upsertApplication({ id: APP.id, name: 'cluster-client', bundles: [bundle(APP.bundle, 'client-password-1')] });
      await h.waitFor(
        'the Application and its Secret',
        () => application(h, 'cluster-client') && h.secretData({ namespace: NS, name: own }),
      );
      const before = application(h, 'cluster-client')!;

      const seq = h.lastEventSeq();
      compass.upsertApplication({
        id: APP.id,
        name: 'cluster-client',
        bundles: [{ id: 'certificates', name: 'certs', defaultInstanceAuth: basic('intruder', 'intruder-password-3') }],
      });
      await outcomeMatching(h, seq, /cluster-client-certificates, which is the agent's client certificate Secret/);
      await h.waitForSyncCycles(2);
      t.equal(
        application(h, 'cluster-client')?.metadata.resourceVersion,
        before.metadata.resourceVersion,
        'the Application is kept as it was',
      );
      t.equal(h.secretData({ namespace: NS, name: own })?.password, 'client-password-1', 'its own Secret is kept');
      snapshot.unchanged('while the bundle id is `certificates`');

      compass.removeApplication(APP.id);
      await h.waitFor(
        'the Application and its own Secret deleted',
        () => !application(h, 'cluster-client') && !h.secretData({ namespace: NS, name: own }),
      );
      t.match(writesTo(h, logMark, [own]), [`create ${own} 201`, `delete ${own} 200`], 'the agent deleted its own Secret itself');
      await h.waitForState('Synchronized');
      await h.waitForSyncCycles(2);
      snapshot.unchanged('after the Application is deleted');
      t.same(writesTo(h, logMark, [CLIENT_SECRET.name, CONFIG_SECRET.name]), []);
    },
  );

  await t.test('an edit of the Application that names the key Secret does not make the agent delete it', async (t) => {
    const snapshot = agentSecretsSnapshot(t, h);
    const logMark = h.sims.kube.requestLog.length;
    const APP = { id: uuid('a1000000', 5), bundle: uuid('b1000000', 5) };
    compass.upsertApplication({ id: APP.id, name: 'cluster-client', bundles: [bundle(APP.bundle, 'client-password-2')] });
    const current = await h.waitFor('the Application', () => application(h, 'cluster-client'));
    await h.waitForState('Synchronized');

    // A CR editor adds a service whose credentials name the key Secret; the agent reverts the edit
    // and would delete the Secrets the edited CR used and the new one does not.
    const seq = h.lastEventSeq();
    const edited = structuredClone(current);
    edited.spec.services.push({
      id: 'certificates',
      identifier: '',
      name: 'certs',
      displayName: 'certs',
      description: 'x',
      providerDisplayName: '',
      entries: [
        {
          type: 'API',
          gatewayUrl: '',
          centralGatewayUrl: '',
          targetUrl: 'https://x.example',
          credentials: { type: 'Basic', secretName: CLIENT_SECRET.name },
        },
      ],
    });
    await h.sims.kube.update(edited);
    const reported = await outcomeMatching(h, seq, /was not deleted: it is the agent's client certificate Secret/);
    t.match(
      reported.error,
      `cluster-client (update: Application cluster-client was updated; Secret ${NS}/${CLIENT_SECRET.name} of Application cluster-client was not deleted: it is the agent's client certificate Secret (APP_CLUSTER_CERTIFICATES_SECRET))`,
    );
    await h.waitFor('the edit reverted', () => application(h, 'cluster-client')?.spec.services.length === 1);
    await h.waitForState('Synchronized');
    snapshot.unchanged('after the edit was reverted');
    t.same(writesTo(h, logMark, [CLIENT_SECRET.name, CONFIG_SECRET.name]), [], 'not deleted, not written');

    compass.removeApplication(APP.id);
    await h.waitFor('removed', () => !application(h, 'cluster-client'));
    await h.waitForState('Synchronized');
  });

  await t.test(
    "a Secret with the right name and labels that is not the Application's is never replaced or deleted; the agent's own is",
    async (t) => {
      const APP = { id: uuid('a1000000', 6), bundles: [uuid('b1000000', 61), uuid('b1000000', 62), uuid('b1000000', 63)] };
      const [noOwner, otherOwner, own] = APP.bundles.map((id) => `shop2-${id}`) as [string, string, string];
      const user = await h.sims.kube.create({
        apiVersion: APP_API,
        kind: 'Application',
        metadata: { name: 'users-own-app' },
        spec: { description: "a user's Application", services: [] },
      });
      const foreign = (name: string, bundleId: string, ownerReferences?: unknown[]) => ({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: {
          name,
          namespace: NS,
          labels: { app: 'shop2', bundleId },
          annotations: { owner: 'a user' },
          ...(ownerReferences ? { ownerReferences } : {}),
        },
        data: { username: Buffer.from('theirs').toString('base64'), password: Buffer.from('their-password').toString('base64') },
      });
      await h.sims.kube.create(foreign(noOwner, APP.bundles[0]));
      await h.sims.kube.create(
        foreign(otherOwner, APP.bundles[1], [{ apiVersion: APP_API, kind: 'Application', name: 'users-own-app', uid: user.metadata.uid }]),
      );
      const before = { noOwner: stored(h, noOwner), otherOwner: stored(h, otherOwner) };
      const logMark = h.sims.kube.requestLog.length;

      let seq = h.lastEventSeq();
      compass.upsertApplication({ id: APP.id, name: 'shop2', bundles: APP.bundles.map((id) => bundle(id, 'shop2-password-1')) });
      const refused = await outcomeMatching(h, seq, /shop2/);
      const app = application(h, 'shop2')!;
      t.match(
        refused.error,
        `Secret ${NS}/${noOwner} of Application shop2 was not written: a Secret of that name exists and is not the agent's (it has no ownerReference to Application shop2 (uid ${app.metadata.uid}))`,
      );
      t.match(
        refused.error,
        `Secret ${NS}/${otherOwner} of Application shop2 was not written: a Secret of that name exists and is not the agent's (it belongs to Application users-own-app (uid ${user.metadata.uid})`,
      );
      await h.waitFor("the agent's own Secret", () => h.secretData({ namespace: NS, name: own }));
      t.match(h.sims.kube.get('v1', 'Secret', own, NS)?.metadata.ownerReferences, [
        { kind: 'Application', name: 'shop2', uid: app.metadata.uid },
      ]);

      // Rotated credentials: the agent's own Secret IS replaced, the others are not.
      seq = h.lastEventSeq();
      compass.upsertApplication({ id: APP.id, name: 'shop2', bundles: APP.bundles.map((id) => bundle(id, 'shop2-password-2')) });
      await h.waitFor(
        "the rotated password in the agent's own Secret",
        () => h.secretData({ namespace: NS, name: own })?.password === 'shop2-password-2',
      );
      await outcomeMatching(h, seq, /shop2/);
      await h.waitForSyncCycles(2);
      t.equal(stored(h, noOwner), before.noOwner, 'the Secret without an owner is byte-identical');
      t.equal(stored(h, otherOwner), before.otherOwner, 'the Secret of another Application is byte-identical');
      const cr = await h.waitForState('ResourceApplicationFailed');
      t.match(cr.status?.synchronizationStatus?.error, /shop2 \(update: .*is not the agent's/, 'the CR status says so');

      // Removed from Compass: the Application and the agent's own Secret are deleted, the others stay.
      seq = h.lastEventSeq();
      compass.removeApplication(APP.id);
      const removal = await outcomeMatching(h, seq, /was deleted;/);
      t.match(
        removal.error,
        `shop2 (delete: Application shop2 was deleted; Secret ${NS}/${noOwner} of Application shop2 was not deleted: it is not the agent's (it has no ownerReference`,
      );
      t.match(
        removal.error,
        `Secret ${NS}/${otherOwner} of Application shop2 was not deleted: it is not the agent's (it belongs to Application users-own-app`,
      );
      await h.waitForState('Synchronized');
      t.notOk(application(h, 'shop2'));
      t.notOk(h.secretData({ namespace: NS, name: own }), "the agent's own Secret IS deleted");
      t.ok(writesTo(h, logMark, [own]).includes(`delete ${own} 200`), 'by the agent');
      t.equal(stored(h, noOwner), before.noOwner, 'the Secret without an owner is byte-identical');
      t.equal(stored(h, otherOwner), before.otherOwner, 'the Secret of another Application is byte-identical');
      const attempts = writesTo(h, logMark, [noOwner, otherOwner]);
      t.same(
        attempts.filter((w) => !/^create \S+ 409$/.test(w)),
        [],
        'no update, patch or delete of either (a create, refused with 409, never overwrites)',
      );
    },
  );

  await t.test("a name longer than 63 characters: the app label is a valid label value and the Secret stays the agent's", async (t) => {
    const name = `orders.${'long-name-'.repeat(10)}example.com`;
    const APP = { id: uuid('a1000000', 7), bundle: uuid('b1000000', 7) };
    const secretName = `${name.slice(0, 26)}-${APP.bundle}`;
    compass.upsertApplication({ id: APP.id, name, bundles: [bundle(APP.bundle, 'long-password-1')] });
    await h.waitFor('the Secret', () => h.secretData({ namespace: NS, name: secretName }));
    const secret = h.sims.kube.get('v1', 'Secret', secretName, NS)!;
    const label = secret.metadata.labels?.app as string;
    t.ok(name.length > 63);
    t.ok(label.length <= 63 && LABEL_VALUE.test(label), `app=${label} is a valid label value`);
    t.equal(label.slice(0, 52), name.slice(0, 52));
    t.equal(secret.metadata.labels?.bundleId, APP.bundle);
    t.match(secret.metadata.ownerReferences, [{ kind: 'Application', name, uid: application(h, name)?.metadata.uid }]);
    compass.upsertApplication({ id: APP.id, name, bundles: [bundle(APP.bundle, 'long-password-2')] });
    await h.waitFor('the rotated password', () => h.secretData({ namespace: NS, name: secretName })?.password === 'long-password-2');
    await h.waitForState('Synchronized');
    compass.removeApplication(APP.id);
    await h.waitFor('deleted with its Secret', () => !application(h, name) && !h.secretData({ namespace: NS, name: secretName }));
    await h.waitForState('Synchronized');
  });
});
