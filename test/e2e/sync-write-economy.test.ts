// Acceptance of the Application synchronisation's economy (issue #5), read from the Kubernetes
// simulator's request log: with 200 applications a cycle without changes writes nothing, and
// changing 2 of them (1 %) writes exactly those objects, once.
import t from 'tap';
import { CA_SECRET, CLIENT_SECRET, CONFIG_SECRET, startHarness, type Harness } from '../helpers/agent-harness.js';
import type { BundleRecord } from '../../sim/compass/index.js';
import type { ObservedConnectionCr } from '../../machines/agent-events.js';
import { editConnectionSpec } from '../helpers/connection-checks.js';

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/** The CompassConnections the machine took as events after event-log entry `mark`. */
function crObservationsAfter(h: Harness, mark: number): ObservedConnectionCr[] {
  return h
    .agent!.eventLog.entries()
    .filter((e) => e.seq > mark && e.event.type === 'CONNECTION_CR_OBSERVED')
    .map((e) => e.event.cr as ObservedConnectionCr);
}

t.test('200 applications: quiet cycles write nothing, changing 2 writes exactly those', async (t) => {
  const h = await startHarness({ apps: 0 });
  t.teardown(() => h.close());
  const compass = h.sims.compass.control;
  const generated = compass.generateApplications(200, 5);
  await h.writeConfigSecret();
  h.startAgent();
  await h.waitForState('Synchronized', 60_000);
  t.equal(h.sims.kube.list('applicationconnector.kyma-project.io/v1alpha1', 'Application').length, 200);

  const writesSince = (mark: number) =>
    h.sims.kube.requestLog
      .slice(mark)
      .filter((entry) => WRITE_VERBS.includes(entry.verb) && (entry.resource === 'applications' || entry.resource === 'secrets'))
      .map((entry) => `${entry.verb} ${entry.resource} ${entry.name} ${entry.status}`)
      .sort();

  await t.test('cycles without changes write no Application and no Secret', async (t) => {
    const mark = h.sims.kube.requestLog.length;
    const outcomes = await h.waitForSyncCycles(4);
    t.same(
      outcomes.map((outcome) => outcome.result),
      ['Synchronized', 'Synchronized', 'Synchronized', 'Synchronized'],
    );
    t.same(writesSince(mark), [], 'no POST, PUT, PATCH or DELETE');
  });

  await t.test('a quiet cycle writes the CompassConnection once, reads it not at all, and keeps its Compass connections', async (t) => {
    const mark = h.sims.kube.requestLog.length;
    const callMark = compass.callLog().length;
    const eventMark = h.agent!.eventLog.entries().at(-1)!.seq;
    const pagesBefore = await directorPages(h);
    const cycles = 4;
    await h.waitForSyncCycles(cycles);
    const pagesAfter = await directorPages(h);
    t.equal(pagesAfter.read - pagesBefore.read, 0, 'no Director page is parsed in a quiet cycle');
    t.ok(pagesAfter.reused - pagesBefore.reused >= cycles, 'each is recognised by its digest instead');
    const crRequests = h.sims.kube.requestLog
      .slice(mark)
      .filter((entry) => entry.resource === 'compassconnections' && entry.verb !== 'watch' && entry.verb !== 'list')
      .map((entry) => `${entry.verb}${entry.subresource ? '/' + entry.subresource : ''}`);
    t.notOk(crRequests.includes('get'), 'the CR is patched from what the last write stored, not read first');
    const reads = (secret: { namespace: string; name: string }) =>
      h.sims.kube.requestLog
        .slice(mark)
        .filter((e) => e.verb === 'get' && e.resource === 'secrets' && e.namespace === secret.namespace && e.name === secret.name).length;
    t.equal(reads(CONFIG_SECRET), 0, 'the configuration Secret is not read: its watch holds RUNTIME_ID and TENANT');
    for (const secret of [CLIENT_SECRET, CA_SECRET]) {
      t.equal(reads(secret), 0, `${secret.name}: not read; its watch shows it holds the certificate presented`);
      t.ok(
        h.sims.kube.requestLog.some(
          (e) =>
            e.verb === 'watch' &&
            e.resource === 'secrets' &&
            e.namespace === secret.namespace &&
            e.status === 200 &&
            new URL(e.path, 'https://kube').searchParams.get('fieldSelector') === `metadata.name=${secret.name}`,
        ),
        `${secret.name}: watched by name`,
      );
    }
    const statusWrites = crRequests.filter((r) => r === 'patch/status').length;
    t.ok(statusWrites >= cycles - 1 && statusWrites <= cycles + 1, `one status write per cycle (${statusWrites} in ${cycles} cycles)`);
    t.same(
      crObservationsAfter(h, eventMark),
      [],
      "the writes come back through the CR's watch, and the machine takes none of them as an event: they change only the status it wrote",
    );
    const calls = compass.callLog().slice(callMark);
    const connectionsOf = (surface: string) => new Set(calls.filter((c) => c.surface === surface).map((c) => c.connection));
    const directorCalls = calls.filter((c) => c.surface === 'director').length;
    t.ok(directorCalls >= cycles, `${directorCalls} Director requests`);
    t.ok(
      connectionsOf('director').size < cycles,
      `the Director's connections are kept from cycle to cycle (${connectionsOf('director').size} for ${cycles} cycles)`,
    );
    t.equal(connectionsOf('connector-mtls').size, 1, 'every connection check on one kept-alive connection');
  });

  await t.test('a spec edit is an observation: resyncNow reaches the machine, and so does the agent setting it back', async (t) => {
    const eventMark = h.agent!.eventLog.entries().at(-1)!.seq;
    await editConnectionSpec(h, { resyncNow: true });
    const observed = await h.waitFor('the machine to observe resyncNow set and then reset', () => {
      const flags = crObservationsAfter(h, eventMark).map((cr) => cr.spec.resyncNow);
      return flags.includes(true) && flags.at(-1) === false ? flags : undefined;
    });
    t.same(observed, [true, false], 'the user setting it, the agent writing it back; no status write in between');
  });

  await t.test('a new description and a rotated password write exactly the two objects', async (t) => {
    const described = generated[17];
    const rotated = generated.find((app) =>
      app.bundles.some((bundle) => bundle.defaultInstanceAuth?.credential?.__typename === 'BasicCredentialData'),
    )!;
    const bundle = rotated.bundles.find((b) => b.defaultInstanceAuth?.credential?.__typename === 'BasicCredentialData') as BundleRecord;
    const credential = bundle.defaultInstanceAuth!.credential as { username: string; password: string };
    const secretName = `mp-${rotated.name}-${bundle.id}`;
    const mark = h.sims.kube.requestLog.length;
    const seqMark = h.lastEventSeq();

    compass.upsertApplication({ id: described.id, description: 'a new description' });
    compass.upsertBundle(rotated.id, {
      ...bundle,
      defaultInstanceAuth: {
        ...bundle.defaultInstanceAuth,
        credential: { ...credential, __typename: 'BasicCredentialData', password: 'rotated-password-8d1e' },
      },
    });
    await h.waitFor(
      'both changes applied',
      () =>
        (
          h.sims.kube.get('applicationconnector.kyma-project.io/v1alpha1', 'Application', `mp-${described.name}`) as
            { spec: { description: string } } | undefined
        )?.spec.description === 'a new description' &&
        h.secretData({ namespace: 'kyma-system', name: secretName })?.password === 'rotated-password-8d1e',
    );
    // The cycle that wrote them has ended: the one after it is quiet already (its own writes are no
    // reason to plan the 200 again).
    await h.waitFor('the cycle that wrote them to end', () =>
      h.syncOutcomes(seqMark).some((outcome) => (outcome.summary?.updated ?? 0) > 0),
    );
    const pagesBefore = await directorPages(h);
    const quietMark = h.sims.kube.requestLog.length;
    const [next] = await h.waitForSyncCycles(1);
    const pagesAfter = await directorPages(h);
    t.same([next?.result, next?.summary?.unchanged, next?.summary?.updated], ['Synchronized', 200, 0]);
    t.equal(pagesAfter.read - pagesBefore.read, 0, 'the next cycle parses no Director page');
    t.ok(pagesAfter.reused - pagesBefore.reused >= 1, 'it recognises the answers by their digests');
    t.same(
      h.sims.kube.requestLog
        .slice(quietMark)
        .filter((entry) => entry.resource === 'secrets' && entry.namespace === 'kyma-system' && entry.name?.startsWith('mp-'))
        .map((entry) => `${entry.verb} ${entry.name}`),
      [],
      'and reads no Application Secret to check it',
    );
    await h.waitForSyncCycles(2);
    t.same(
      writesSince(mark),
      [`update applications mp-${described.name} 200`, `update secrets ${secretName} 200`].sort(),
      'one write each, nothing else',
    );
  });
});

/** runtime_agent_director_application_pages_total of the agent: pages read, and recognised unread. */
async function directorPages(h: Harness): Promise<{ read: number; reused: number }> {
  const text = (await h.agent?.metrics.registry.metrics()) ?? '';
  const value = (answer: string) =>
    Number(new RegExp(`^runtime_agent_director_application_pages_total\\{answer="${answer}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { read: value('read'), reused: value('reused') };
}

/** runtime_agent_managed_applications of the agent. */
async function managedApplications(h: Harness): Promise<number | undefined> {
  const text = (await h.agent?.metrics.registry.metrics()) ?? '';
  const value = /^runtime_agent_managed_applications (\d+)$/m.exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}

t.test('the cycle right after the initial sync is quiet already: the Application cache synced before the first apply', async (t) => {
  const h = await startHarness({ apps: 20 });
  t.teardown(() => h.close());
  await h.writeConfigSecret();
  // The Runtime labels left alone (the deploy/ placeholder): the initial sync writes nothing to the Director,
  // so the next cycle gets the very same answers.
  h.startAgent({ APP_RUNTIME_EVENTS_URL: 'https://gateway.CLUSTER_DOMAIN', APP_RUNTIME_CONSOLE_URL: 'https://console.CLUSTER_DOMAIN' });
  await h.waitForState('Synchronized', 60_000);
  const [initial] = h.syncOutcomes();
  t.equal(initial?.summary?.created, 20, 'the initial sync created them');
  t.equal(await managedApplications(h), 20, 'the gauge counts the applications of the full fetch (the apply consumed their list)');
  const before = await directorPages(h);
  const [next] = await h.waitForSyncCycles(1);
  const after = await directorPages(h);
  t.same([next?.result, next?.summary?.unchanged], ['Synchronized', 20]);
  t.equal(after.read - before.read, 0, 'the next cycle parses no Director page');
  t.equal(await managedApplications(h), 20, 'and those the quiet cycle found unchanged');
});

t.test('a new TENANT in the configuration Secret reaches the next cycle through the watch, without a read', async (t) => {
  const h = await startHarness({ apps: 3 });
  t.teardown(() => h.close());
  await h.writeConfigSecret();
  h.startAgent();
  await h.waitForState('Synchronized', 60_000);
  const tenantOf = (calls: ReturnType<typeof h.sims.compass.control.callLog>) =>
    calls.filter((call) => call.surface === 'director').map((call) => call.headers.tenant);
  t.same(
    [...new Set(tenantOf(h.sims.compass.control.callLog()))],
    [h.sims.compass.tenant],
    'the Director is asked with the tenant of the Secret',
  );

  const setTenant = (tenant: string) =>
    h.kubectl(
      '-n',
      CONFIG_SECRET.namespace,
      'patch',
      'secret',
      CONFIG_SECRET.name,
      '--type=merge',
      '-p',
      JSON.stringify({ stringData: { TENANT: tenant } }),
    );
  const mark = h.sims.kube.requestLog.length;
  const callMark = h.sims.compass.control.callLog().length;
  await setTenant('tenant-moved-4711');
  const failed = await h.waitFor('a cycle with the new tenant', () =>
    h.connection()?.status?.synchronizationStatus?.error?.includes('tenant-moved-4711') ? h.connection() : undefined,
  );
  t.match(failed.status?.synchronizationStatus?.error, /Tenant not found/, 'the Director does not know it: the cycle says so');
  t.ok(tenantOf(h.sims.compass.control.callLog().slice(callMark)).includes('tenant-moved-4711'), 'the Director was asked with it');
  await setTenant(h.sims.compass.tenant);
  await h.waitFor('a synchronized cycle with the tenant back', () =>
    h.connection()?.status?.synchronizationStatus?.error ? undefined : true,
  );
  t.same(
    h.sims.kube.requestLog
      .slice(mark)
      .filter((entry) => entry.resource === 'secrets' && entry.name === CONFIG_SECRET.name && !entry.userAgent?.startsWith('kubectl/'))
      .map((entry) => `${entry.verb} (${entry.userAgent})`),
    [],
    'the agent made no request for the Secret: the watch it holds open brought both changes',
  );
});
