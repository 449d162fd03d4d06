// Acceptance: an Application Secret deleted or edited by hand is back, as the Director says it should
// be, by the end of the first synchronization cycle that starts after the change (the Go agent repairs
// on the next cycle too), with the agent bound by deploy/'s RBAC; cycles without changes still send no
// Secret request. Where list/watch of Secrets is not granted, the agent says so and repairs by paced
// re-reads instead.
import t from 'tap';
import { AGENT_USER, CA_SECRET, CLIENT_SECRET, CONFIG_SECRET, startHarness, type Harness } from '../helpers/agent-harness.js';
import { uuid } from '../helpers/sync-checks.js';

const NS = 'kyma-system';
const basic = (username: string, password: string) => ({
  credential: { __typename: 'BasicCredentialData' as const, username, password },
  additionalHeaders: { 'x-tenant': [`tenant-of-${username}`] },
});

/** Four applications, each with a credential Secret and a request-parameter Secret. */
function seed(h: Harness): Array<{ name: string; credentials: string; params: string; password: string }> {
  return [1, 2, 3, 4].map((n) => {
    const id = uuid('e1000000', n);
    const bundleId = uuid('e2000000', n);
    const name = `mp-repair-${n}`;
    h.sims.compass.control.upsertApplication({
      id,
      name: `repair-${n}`,
      bundles: [
        {
          id: bundleId,
          name: `bundle ${n}`,
          defaultInstanceAuth: basic(`user-${n}`, `password-${n}`),
          apiDefinitions: [{ id: uuid('e3000000', n), name: 'api', targetURL: `https://repair.example.com/${n}` }],
        },
      ],
    });
    return { name, credentials: `${name}-${bundleId}`, params: `params-${name}-${bundleId}`, password: `password-${n}` };
  });
}

const secretRequests = (h: Harness, mark: number) =>
  h.sims.kube.requestLog
    .slice(mark)
    .filter(
      (e) =>
        e.resource === 'secrets' &&
        e.namespace === NS &&
        e.verb !== 'watch' &&
        e.name !== 'compass-agent-configuration' &&
        e.name !== 'cluster-client-certificates',
    );

t.test('with deploy/ RBAC: deleted and edited Secrets are restored by the first cycle that starts after the change', async (t) => {
  const h = await startHarness({ apps: 0 });
  t.teardown(() => h.close());
  const apps = seed(h);
  await h.writeConfigSecret();
  h.startAgent({ APP_CONTROLLER_SYNC_PERIOD: '2s' });
  await h.waitForState('Synchronized');
  for (const app of apps)
    t.equal(h.secretData({ namespace: NS, name: app.credentials })?.password, app.password, `${app.credentials} written`);

  await t.test('a quiet cycle sends no Secret request', async (t) => {
    await h.waitForSyncCycles(1);
    const mark = h.sims.kube.requestLog.length;
    await h.waitForSyncCycles(2);
    t.same(
      secretRequests(h, mark).map((e) => `${e.verb} ${e.name ?? ''}`),
      [],
    );
  });

  await t.test('two Secrets deleted, one edited: all back after the first cycle that starts later', async (t) => {
    const before = Object.fromEntries(apps.map((app) => [app.params, h.secretData({ namespace: NS, name: app.params })]));
    await h.kubectl('-n', NS, 'delete', 'secret', apps[0].credentials, apps[1].params);
    await h.kubectl(
      '-n',
      NS,
      'patch',
      'secret',
      apps[2].credentials,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ stringData: { password: 'edited-by-hand' } }),
    );
    t.equal(h.secretData({ namespace: NS, name: apps[2].credentials })?.password, 'edited-by-hand', 'the edit landed');
    const mark = h.sims.kube.requestLog.length;
    // The first of these may have started before the changes; the second started after the first ended.
    await h.waitForSyncCycles(2);
    t.equal(h.secretData({ namespace: NS, name: apps[0].credentials })?.password, apps[0].password, 'deleted credential Secret re-created');
    t.same(h.secretData({ namespace: NS, name: apps[1].params }), before[apps[1].params], 'deleted request-parameter Secret re-created');
    t.equal(h.secretData({ namespace: NS, name: apps[2].credentials })?.password, apps[2].password, 'edited Secret restored');
    const writes = secretRequests(h, mark)
      .filter((e) => e.verb !== 'get')
      .map((e) => `${e.verb} ${e.name}`)
      .sort();
    t.same(
      writes,
      [`create ${apps[0].credentials}`, `create ${apps[1].params}`, `update ${apps[2].credentials}`].sort(),
      'only the changed Secrets were written',
    );
    const reads = secretRequests(h, mark)
      .filter((e) => e.verb === 'get')
      .map((e) => e.name);
    t.same([...new Set(reads)].sort(), [apps[0].credentials, apps[1].params, apps[2].credentials].sort(), 'and only they were read');
    t.equal(h.syncOutcomes().at(-1)?.result, 'Synchronized');
  });

  await t.test('the agent watches only its own Secrets, by label or by name, and never logged a credential', async (t) => {
    const collection = h.sims.kube.requestLog.filter(
      (e) => e.resource === 'secrets' && (e.verb === 'watch' || e.verb === 'list') && e.name === undefined,
    );
    const query = (e: { path: string }) => new URL(e.path, 'https://kube').searchParams;
    const byLabel = collection.filter((e) => query(e).get('labelSelector') && !query(e).get('fieldSelector'));
    t.ok(
      byLabel.some((e) => e.verb === 'list' && e.status === 200) && byLabel.some((e) => e.verb === 'watch' && e.status === 200),
      'a list and a watch of Secrets by label, allowed',
    );
    t.ok(
      byLabel.every((e) => e.namespace === NS && e.user === AGENT_USER),
      'in the integration namespace, as the agent',
    );
    const ownByName = new Set([CONFIG_SECRET, CLIENT_SECRET, CA_SECRET].map((s) => `${s.namespace}/metadata.name=${s.name}`));
    const others = collection.filter((e) => !byLabel.includes(e) && !ownByName.has(`${e.namespace}/${query(e).get('fieldSelector')}`));
    t.same(
      others.map((e) => e.path),
      [],
      'every other list and watch names one of its own Secrets: the configuration, client-certificate and CA Secrets',
    );
    for (const app of apps) t.notMatch(h.logs.join('\n'), app.password);
    t.notMatch(h.logs.join('\n'), 'edited-by-hand');
  });
});

t.test('without list/watch on Secrets the agent says so and repairs by paced re-reads', async (t) => {
  const h = await startHarness({ apps: 0 });
  t.teardown(() => h.close());
  const apps = seed(h);
  // The Go agent's Role: no list or watch on Secrets.
  const role = h.sims.kube.get('rbac.authorization.k8s.io/v1', 'Role', 'compass-runtime-agent', NS)!;
  role.rules = role.rules.map((rule: { resources?: string[]; verbs: string[] }) =>
    rule.resources?.includes('secrets') ? { ...rule, verbs: rule.verbs.filter((verb) => verb !== 'list' && verb !== 'watch') } : rule,
  );
  await h.sims.kube.update(role);
  const canWatch = await h
    .kubectl('auth', 'can-i', 'watch', 'secrets', '-n', NS, '--as', 'system:serviceaccount:kyma-system:compass-runtime-agent')
    .catch((e: { stdout?: string }) => e.stdout ?? '');
  t.equal(canWatch.trim(), 'no', 'the agent may not watch Secrets');

  await h.writeConfigSecret();
  h.startAgent({ APP_CONTROLLER_SYNC_PERIOD: '1s' });
  await h.waitForState('Synchronized');
  await h.waitFor('the log line about the forbidden watch', () =>
    h.logs.some((line) => /list\/watch of Secrets in kyma-system is forbidden/.test(line)),
  );
  await h.kubectl('-n', NS, 'delete', 'secret', apps[3].credentials);
  // One pass over the recorded Secrets takes ten sync periods; the cycle after the read repairs.
  const restored = await h.waitFor('the deleted Secret restored', () => h.secretData({ namespace: NS, name: apps[3].credentials }), 60_000);
  t.equal(restored.password, apps[3].password);
});
