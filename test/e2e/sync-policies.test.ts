// Acceptance of the Application synchronisation's rules (issue #5): runtime labels set only when they
// differ, duplicate names after normalisation, a user's edit of a managed Application reverted, and
// Applications the agent does not manage left alone.
import t from 'tap';
import { startHarness, type Harness } from '../helpers/agent-harness.js';

const EVENTS_URL = 'https://gateway.policies.example';
const CONSOLE_URL = 'https://console.policies.example';
const APP_API = 'applicationconnector.kyma-project.io/v1alpha1';
const MANAGED_BY = 'applicationconnector.kyma-project.io/managed-by';
const SHOP = { id: 'a0000000-0000-4000-8000-0000000000aa', name: 'Web Shop', cr: 'mp-web-shop', description: 'The web shop' };

type Json = Record<string, any>;

function application(h: Harness, name: string): Json | undefined {
  return h.sims.kube.get(APP_API, 'Application', name) as Json | undefined;
}

function applicationNames(h: Harness): string[] {
  return h.sims.kube
    .list(APP_API, 'Application')
    .map((app) => app.metadata.name as string)
    .sort();
}

t.test('runtime labels, duplicate names, user edits and unmanaged Applications', async (t) => {
  const h = await startHarness({ apps: 0 });
  t.teardown(() => h.close());
  const compass = h.sims.compass.control;
  compass.upsertApplication({
    id: SHOP.id,
    name: SHOP.name,
    description: SHOP.description,
    bundles: [
      {
        id: 'b0000000-0000-4000-8000-0000000000aa',
        name: 'shop',
        apiDefinitions: [{ id: 'd0000000-0000-4000-8000-0000000000aa', name: 'cart', targetURL: 'https://shop.example.com/cart' }],
      },
    ],
  });
  await h.writeConfigSecret();
  h.startAgent({ APP_RUNTIME_EVENTS_URL: EVENTS_URL, APP_RUNTIME_CONSOLE_URL: CONSOLE_URL });
  await h.waitForState('Synchronized');
  t.same(applicationNames(h), [SHOP.cr]);

  await t.test('runtime labels are set once, and again only when Compass holds another value', async (t) => {
    const labelCalls = () => compass.callLog().filter((call) => call.surface === 'director' && call.operations.includes('setRuntimeLabel'));
    const runtimeId = h.sims.compass.runtimeId;
    t.match(compass.runtimeLabels(runtimeId), { runtime_eventServiceUrl: EVENTS_URL, runtime_consoleUrl: CONSOLE_URL });
    t.equal(labelCalls().length, 2, 'one setRuntimeLabel per label since the start');
    await h.waitForSyncCycles(2);
    t.equal(labelCalls().length, 2, 'no setRuntimeLabel on cycles where the labels match');

    compass.upsertRuntime({
      id: runtimeId,
      labels: { ...compass.runtimeLabels(runtimeId), runtime_consoleUrl: 'https://changed-in-compass.example' },
    });
    await h.waitFor('the console label restored', () => compass.runtimeLabels(runtimeId)?.runtime_consoleUrl === CONSOLE_URL);
    await h.waitForSyncCycles(2);
    const calls = labelCalls();
    t.equal(calls.length, 3, 'exactly one more setRuntimeLabel');
    t.equal(calls[2].variables?.value, CONSOLE_URL, 'it set the console URL');

    compass.upsertRuntime({
      id: runtimeId,
      labels: { ...compass.runtimeLabels(runtimeId), runtime_eventServiceUrl: 'https://changed-again.example' },
    });
    compass.armFault({ operation: 'setRuntimeLabel', kind: 'graphql-error', message: 'label storage unavailable' });
    const failed = await h.waitForState('MetadataUpdateFailed');
    t.match(
      failed.status?.synchronizationStatus?.error,
      /^Failed to reconcile Runtime labels with proper URLs: .*label storage unavailable/,
    );
    t.match(failed.status?.synchronizationStatus, { lastSuccessfulFetch: String, lastAttempt: String }, 'the fetch itself succeeded');
    await h.waitForState('Synchronized');
    t.equal(compass.runtimeLabels(runtimeId)?.runtime_eventServiceUrl, EVENTS_URL, 'set on the next cycle');
  });

  await t.test('applications with the same name after normalisation are skipped and named; the rest is applied', async (t) => {
    compass.upsertApplication({ id: 'dddddddd-0000-4000-8000-000000000001', name: 'Dup App' });
    compass.upsertApplication({ id: 'dddddddd-0000-4000-8000-000000000002', name: 'dup.app' });
    compass.upsertApplication({ id: 'dddddddd-0000-4000-8000-000000000003', name: 'fresh' });
    const failed = await h.waitForState('ResourceApplicationFailed');
    const error = failed.status?.synchronizationStatus?.error ?? '';
    t.match(error, /^Failed to apply configuration: /, 'the reference prefix');
    t.match(error, /mp-dup-app/, 'the duplicated name is named');
    t.match(error, /dddddddd-0000-4000-8000-000000000001/);
    t.match(error, /dddddddd-0000-4000-8000-000000000002/);
    await h.waitFor('mp-fresh applied nevertheless', () => application(h, 'mp-fresh'));
    t.notOk(application(h, 'mp-dup-app'), 'neither duplicate is applied');

    compass.removeApplication('dddddddd-0000-4000-8000-000000000002');
    await h.waitForState('Synchronized');
    const dup = await h.waitFor('mp-dup-app', () => application(h, 'mp-dup-app'));
    t.equal(dup.spec.compassMetadata.applicationId, 'dddddddd-0000-4000-8000-000000000001');

    // A duplicate of an existing Application keeps the existing one: nothing is deleted.
    compass.upsertApplication({ id: 'dddddddd-0000-4000-8000-000000000004', name: 'DUP_app' });
    await h.waitForState('ResourceApplicationFailed');
    await h.waitForSyncCycles(2);
    t.equal(application(h, 'mp-dup-app')?.metadata.uid, dup.metadata.uid, 'the existing mp-dup-app is kept');
    compass.removeApplication('dddddddd-0000-4000-8000-000000000004');
    compass.removeApplication('dddddddd-0000-4000-8000-000000000001');
    compass.removeApplication('dddddddd-0000-4000-8000-000000000003');
    await h.waitForState('Synchronized');
    await h.waitFor('mp-dup-app and mp-fresh removed', () => !application(h, 'mp-dup-app') && !application(h, 'mp-fresh'));
  });

  await t.test("a user's edit of a managed Application is reverted, fields the agent does not own are kept", async (t) => {
    const before = application(h, SHOP.cr)!;
    await h.kubectl(
      'patch',
      'application',
      SHOP.cr,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { description: 'edited by hand', skipVerify: true } }),
    );
    t.equal(application(h, SHOP.cr)?.spec.description, 'edited by hand', 'the edit landed');
    const reverted = await h.waitFor('the description reverted', () => {
      const app = application(h, SHOP.cr);
      return app?.spec.description === SHOP.description ? app : undefined;
    });
    t.equal(reverted.spec.skipVerify, true, "skipVerify is the user's (reference: only set on create)");
    t.strictSame(reverted.spec, { ...before.spec, skipVerify: true }, 'everything else as before the edit');
  });

  await t.test('unmanaged Applications are left alone; a name collision is reported, not overwritten', async (t) => {
    const unmanaged = (name: string, labels?: Record<string, string>) => ({
      apiVersion: APP_API,
      kind: 'Application',
      metadata: { name, ...(labels ? { labels } : {}) },
      spec: { description: `${name} belongs to a user`, services: [] },
    });
    await h.sims.kube.create(unmanaged('user-app'));
    await h.sims.kube.create(unmanaged('mp-collide'));
    // The agent's label without compassMetadata: seen by the agent's watch, still not its own.
    await h.sims.kube.create(unmanaged('mp-labelled', { [MANAGED_BY]: 'compass-runtime-agent' }));
    const before = Object.fromEntries(
      ['user-app', 'mp-collide', 'mp-labelled'].map((name) => [name, application(h, name)!.metadata.resourceVersion]),
    );
    h.sims.kube.clearRequestLog();
    compass.upsertApplication({ id: 'eeeeeeee-0000-4000-8000-000000000001', name: 'collide' });
    compass.upsertApplication({ id: 'eeeeeeee-0000-4000-8000-000000000002', name: 'labelled' });
    const failed = await h.waitForState('ResourceApplicationFailed');
    const error = failed.status?.synchronizationStatus?.error ?? '';
    t.match(error, /mp-collide \(create: Application mp-collide already exists and is not managed by the runtime agent/);
    t.match(error, /mp-labelled \(create: Application mp-labelled exists but is not managed by the runtime agent/);
    await h.waitForSyncCycles(2);
    for (const [name, resourceVersion] of Object.entries(before)) {
      t.equal(application(h, name)?.metadata.resourceVersion, resourceVersion, `${name} untouched`);
      t.equal(application(h, name)?.spec.description, `${name} belongs to a user`);
    }
    const writes = h.sims.kube.requestLog.filter(
      (entry) => entry.resource === 'applications' && ['update', 'patch', 'delete'].includes(entry.verb),
    );
    t.same(writes, [], 'no update, patch or delete of any Application');

    compass.removeApplication('eeeeeeee-0000-4000-8000-000000000001');
    compass.removeApplication('eeeeeeee-0000-4000-8000-000000000002');
    await h.waitForState('Synchronized');
    t.same(applicationNames(h), ['mp-collide', 'mp-labelled', SHOP.cr, 'user-app'], 'the unmanaged ones are still there');
  });
});
