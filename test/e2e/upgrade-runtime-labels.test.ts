// Acceptance: deploy/ applied unedited does not damage a live Director. Its Deployment carries the
// placeholder cluster domain; the agent running with exactly that environment leaves the Runtime's real
// labels alone and says why in its CR status and its log. With the domain set in the kustomization
// (the README's command), both URLs follow from it and the agent reports them.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FAST_ENV, startHarness } from '../helpers/agent-harness.js';
import { calls } from '../helpers/connection-checks.js';
import { agentEnvironment, copyOfDeploy, renderKustomization } from '../helpers/deploy-copy.js';

const REAL = {
  runtime_eventServiceUrl: 'https://gateway.c-4f2a.kyma.example.org',
  runtime_consoleUrl: 'https://console.c-4f2a.kyma.example.org',
};
/** The settings of deploy/'s Deployment the test cannot take over: ports, files and leader election for one in-process agent. */
const NOT_FOR_A_TEST = [
  'APP_HEALTH_PORT',
  'APP_DEBUG_ADDRESS',
  'APP_LEADER_ELECTION',
  'APP_CONTROLLER_SYNC_PERIOD',
  'APP_MINIMAL_COMPASS_SYNC_TIME',
  'NODE_OPTIONS',
];

function deploymentEnv(dir: string): Record<string, string> {
  const deployment = renderKustomization(dir).find((doc) => doc.kind === 'Deployment')!;
  const env = agentEnvironment(deployment);
  for (const name of NOT_FOR_A_TEST) delete env[name];
  return env;
}

if (!existsSync('/usr/bin/kubectl')) {
  t.plan(0, 'skipped: kubectl is not installed (deploy/ is rendered with kubectl kustomize)');
} else {
  t.test('unedited deploy/ leaves the Runtime labels alone and says why; with the domain set, both URLs follow it', async (t) => {
    const copy = copyOfDeploy();
    t.teardown(() => copy.remove());
    const deploy = join(copy.root, 'deploy');
    const unedited = deploymentEnv(deploy);
    t.equal(unedited.APP_RUNTIME_EVENTS_URL, 'https://gateway.CLUSTER_DOMAIN', 'deploy/ ships the placeholder');
    t.equal(unedited.APP_RUNTIME_CONSOLE_URL, 'https://console.CLUSTER_DOMAIN');

    const h = await startHarness({ apps: 1 });
    t.teardown(() => h.close());
    const compass = h.sims.compass.control;
    const runtimeId = h.sims.compass.runtimeId;
    compass.upsertRuntime({ id: runtimeId, labels: { ...compass.runtimeLabels(runtimeId), ...REAL } });
    await h.writeConfigSecret();
    h.startAgent({ ...FAST_ENV, ...unedited });
    const synchronized = await h.waitForState('Synchronized');
    await h.waitForSyncCycles(2);
    t.match(compass.runtimeLabels(runtimeId), REAL, 'the real labels are still there');
    t.same(calls(h, 'director', 'setRuntimeLabel'), [], 'not a single label mutation');
    const condition = (h.connection()?.status?.conditions ?? synchronized.status?.conditions ?? []).find((c) => c.type === 'Synchronized');
    t.equal(condition?.status, 'True', 'the sync itself succeeds');
    t.match(
      condition?.message,
      /runtime_eventServiceUrl and runtime_consoleUrl are left as they are in the Director: APP_RUNTIME_EVENTS_URL and APP_RUNTIME_CONSOLE_URL are not configured \(unset, or the deploy\/ placeholder CLUSTER_DOMAIN\); set the cluster domain in deploy\/kustomization.yaml/,
    );
    const said = h.logs.filter((line) => /are left as they are in the Director/.test(line));
    t.equal(said.length, 1, 'the log says it once');
    t.match(said[0], /"level":(40|"warn")/);
    await h.stopAgent();

    // The README's command for the domain, on the copy.
    execFileSync('sed', [
      '-i',
      's/clusterDomain=CLUSTER_DOMAIN/clusterDomain=c-4f2a.kyma.example.net/',
      join(deploy, 'kustomization.yaml'),
    ]);
    const configured = deploymentEnv(deploy);
    t.equal(configured.APP_RUNTIME_EVENTS_URL, 'https://gateway.c-4f2a.kyma.example.net');
    t.equal(configured.APP_RUNTIME_CONSOLE_URL, 'https://console.c-4f2a.kyma.example.net');
    h.startAgent({ ...FAST_ENV, ...configured });
    await h.waitFor('both labels from the domain', () => {
      const labels = compass.runtimeLabels(runtimeId);
      return (
        labels?.runtime_eventServiceUrl === 'https://gateway.c-4f2a.kyma.example.net' &&
        labels.runtime_consoleUrl === 'https://console.c-4f2a.kyma.example.net'
      );
    });
    await h.waitForState('Synchronized');
    await h.waitFor('the note gone from the Synchronized condition', () => {
      const message = h.connection()?.status?.conditions?.find((c) => c.type === 'Synchronized')?.message;
      return message === 'Applications match the Director' ? message : undefined;
    });
  });
}
