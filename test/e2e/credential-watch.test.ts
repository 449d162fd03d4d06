// The credential Secrets are watched by name, not read every cycle: a Secret deleted while the agent
// idles is renewed within moments instead of at the next cycle (here a minute away), and an idle
// cycle's connection check reads neither Secret. Where the Role forbids list/watch on one of them (as a
// Role for istio-system that grants only get and update does), the agent polls it once per sync period
// and says so.
import t from 'tap';
import { KubeConfig } from '@kubernetes/client-node';
import { AGENT_USER, CA_SECRET, CLIENT_SECRET, FAST_ENV, startHarness, type Harness } from '../helpers/agent-harness.js';
import { clientCertificate, effectsDoneAfter } from '../helpers/connection-checks.js';
import { createKubeClient } from '../../adapters/kube/kube-client.js';
import { SecretStore } from '../../adapters/kube/secret-store.js';
import { CompassConnectionStore } from '../../adapters/kube/compass-connection-store.js';
import { ApplicationStore } from '../../adapters/kube/application-store.js';
import { silentLogger } from '../../adapters/logger.js';
import { loadConfig } from '../../src/config.js';
import { createCompassEffects, type CredentialSecrets } from '../../src/agent/compass-effects.js';

const SLOW_CYCLES = { APP_CONTROLLER_SYNC_PERIOD: '60s', APP_MINIMAL_COMPASS_SYNC_TIME: '1s' };

/** GETs of `secret` by the agent since request-log entry `mark`. */
const readsOf = (h: Harness, secret: { namespace: string; name: string }, mark = 0) =>
  h.sims.kube.requestLog
    .slice(mark)
    .filter(
      (e) =>
        e.user === AGENT_USER && e.verb === 'get' && e.resource === 'secrets' && e.namespace === secret.namespace && e.name === secret.name,
    ).length;

/** Deletes the CA Secret and waits for the renewal that writes it again. */
async function deleteCaSecretUntilRenewed(h: Harness): Promise<void> {
  const mark = h.lastEventSeq();
  await h.sims.kube.delete('v1', 'Secret', CA_SECRET.name, CA_SECRET.namespace);
  await h.waitFor(
    'a renewal that writes the CA Secret again',
    () => effectsDoneAfter(h, 'renewCertificate', mark) > 0 && h.secretData(CA_SECRET)?.cacert,
    20_000,
  );
}

t.test('with deploy/ RBAC: both credential Secrets are watched by name', async (t) => {
  const h = await startHarness({ apps: 1 });
  t.teardown(() => h.close());
  await h.writeConfigSecret();
  h.startAgent(SLOW_CYCLES);
  await h.waitForState('Synchronized');

  for (const secret of [CLIENT_SECRET, CA_SECRET]) {
    const watches = h.sims.kube.requestLog.filter(
      (e) => e.user === AGENT_USER && e.verb === 'watch' && e.resource === 'secrets' && e.namespace === secret.namespace,
    );
    const selectors = watches.map((e) => `${new URL(e.path, 'https://kube').searchParams.get('fieldSelector')} ${e.status}`);
    t.ok(
      selectors.includes(`metadata.name=${secret.name} 200`),
      `${secret.namespace}/${secret.name}: watched by name (${selectors.join(', ')})`,
    );
  }

  await t.test('a deleted client-certificate Secret is renewed at once, not at the next cycle a minute away', async (t) => {
    const mark = h.lastEventSeq();
    const previous = clientCertificate(h)!.sha256;
    await h.sims.kube.delete('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace);
    await h.waitFor(
      'a renewal that writes the client-certificate Secret again',
      () => effectsDoneAfter(h, 'renewCertificate', mark) > 0 && clientCertificate(h) && clientCertificate(h)!.sha256 !== previous,
      20_000,
    );
    t.equal(effectsDoneAfter(h, 'checkConnection', mark), 1, 'one cycle, brought forward by the watch');
    await h.waitForState('Synchronized');
  });

  await t.test('a deleted CA Secret in istio-system is renewed at once too', async (t) => {
    const mark = h.lastEventSeq();
    await deleteCaSecretUntilRenewed(h);
    t.equal(effectsDoneAfter(h, 'checkConnection', mark), 1, 'one cycle, brought forward by the watch');
    await h.waitForState('Synchronized');
  });

  await t.test("the agent's own writes of the Secrets bring no further cycle", async (t) => {
    const mark = h.lastEventSeq();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    t.equal(effectsDoneAfter(h, 'checkConnection', mark), 0, 'no cycle in the 3 s after the renewal (the next is a minute away)');
    t.equal(effectsDoneAfter(h, 'renewCertificate', mark), 0, 'no renewal');
  });
});

t.test('with no list/watch on the CA Secret in istio-system: it is polled once per sync period', async (t) => {
  const h = await startHarness({ apps: 1 });
  t.teardown(() => h.close());
  const role = h.sims.kube.get('rbac.authorization.k8s.io/v1', 'Role', 'compass-runtime-agent', CA_SECRET.namespace)!;
  role.rules = role.rules.map((rule: { verbs: string[] }) => ({
    ...rule,
    verbs: rule.verbs.filter((verb) => verb !== 'list' && verb !== 'watch'),
  }));
  await h.sims.kube.update(role);
  await h.writeConfigSecret();
  h.startAgent({ APP_CONTROLLER_SYNC_PERIOD: '1s', APP_MINIMAL_COMPASS_SYNC_TIME: '300ms' });
  await h.waitForState('Synchronized');
  await h.waitFor('the log line about the forbidden watch', () =>
    h.logs.some((line) => /list\/watch of Secrets in istio-system is forbidden; polling istio-system\/ca-certificates/.test(line)),
  );

  const mark = h.sims.kube.requestLog.length;
  const cycles = await h.waitForSyncCycles(4);
  t.same(
    cycles.map((c) => c.result),
    ['Synchronized', 'Synchronized', 'Synchronized', 'Synchronized'],
  );
  const polls = readsOf(h, CA_SECRET, mark);
  t.ok(polls >= 2 && polls <= 6, `polled about once per cycle (${polls} GETs in 4 cycles of 1 s)`);
  t.equal(readsOf(h, CLIENT_SECRET, mark), 0, 'the client-certificate Secret, watched, is not read');

  await deleteCaSecretUntilRenewed(h);
  t.pass('a deleted CA Secret is still noticed and renewed');
});

t.test('a connection check takes what the watches delivered only when it agrees with the certificate presented', async (t) => {
  const h = await startHarness({ apps: 0 });
  t.teardown(() => h.close());
  await h.writeConfigSecret();
  h.startAgent();
  await h.waitForState('Synchronized');
  await h.stopAgent();
  // The agent's effects on their own, as agent.ts builds them, with what "the watches delivered" in the test's hands.
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(h.agentKubeconfigPath);
  const client = createKubeClient(kubeConfig);
  let watched: CredentialSecrets | undefined;
  const effects = createCompassEffects({
    config: loadConfig({ ...FAST_ENV }),
    secrets: new SecretStore(client),
    connections: new CompassConnectionStore(client),
    applications: new ApplicationStore(client),
    logger: silentLogger,
    now: () => Date.now(),
    compassCaPem: h.sims.compass.serverCaPem,
    watchedCredentials: () => watched,
  });
  t.teardown(() => effects.close());
  const loaded = await effects.loadState(undefined, new AbortController().signal);
  t.equal(loaded.credentialsSecrets.clientCertificateSecret, 'present', 'the certificate the agent stored is loaded');
  const stored = { cluster: h.secretData(CLIENT_SECRET)!, ca: h.secretData(CA_SECRET)! };
  const check = async () => {
    const mark = h.sims.kube.requestLog.length;
    const { credentialsExist } = await effects.checkConnection(
      { managementInfo: loaded.managementInfo ?? null },
      new AbortController().signal,
    );
    return { credentialsExist, reads: readsOf(h, CLIENT_SECRET, mark) + readsOf(h, CA_SECRET, mark) };
  };

  t.same(await check(), { credentialsExist: true, reads: 2 }, 'nothing delivered yet: both Secrets are read');
  watched = stored;
  t.same(await check(), { credentialsExist: true, reads: 0 }, 'delivered as stored: nothing is read');
  watched = { ...stored, cluster: { ...stored.cluster, crt: 'an older certificate, not yet replaced by the watch' } };
  t.same(await check(), { credentialsExist: true, reads: 2 }, 'a stale certificate: the API server decides, and holds the current one');
  watched = { ...stored, ca: null };
  t.same(await check(), { credentialsExist: true, reads: 2 }, 'a CA Secret not delivered: read, and there');
  watched = { ...stored, cluster: { ...stored.cluster, connectorUrl: 'https://elsewhere.example' } };
  t.same(await check(), { credentialsExist: true, reads: 2 }, 'other management info: read, and the stored one is current');

  watched = stored;
  await h.sims.kube.delete('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace);
  t.same(
    await check(),
    { credentialsExist: true, reads: 0 },
    'a deletion the watch has not delivered goes unnoticed by this check (the watch brings the next one forward)',
  );
  watched = { ...stored, cluster: null };
  t.same(await check(), { credentialsExist: false, reads: 2 }, 'delivered: read, missing, and so renewed by the machine');
});
