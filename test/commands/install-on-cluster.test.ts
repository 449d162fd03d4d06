// The README's "Install on a real cluster" stays true: its images: example sets the Deployment's image,
// every namespace deploy/ uses is named there (deploy/ creates none), its configuration Secret is one
// the agent reads whole, its event-log patch puts the file on a volume under the read-only root
// filesystem, and its overlay without Istio installs with kubectl on a cluster that has no istio-system
// (where deploy/ itself fails) and the agent, bound by exactly that RBAC, connects.
import t from 'tap';
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { agentEnvironment, copyOfDeploy, renderKustomization } from '../helpers/deploy-copy.js';
import { FAST_ENV } from '../helpers/agent-harness.js';
import { startSimulators } from '../../src/commands/simulators.js';
import { writeSimFiles } from '../../src/commands/sim.js';
import { readConfigurationSecret } from '../../src/agent/configuration-secret.js';
import { loadConfig } from '../../src/config.js';
import { createAgent } from '../../src/agent/agent.js';
import { createLogger } from '../../adapters/logger.js';

const run = promisify(execFile);
const NO_KUBECTL = existsSync('/usr/bin/kubectl') || existsSync('/usr/local/bin/kubectl') ? false : 'kubectl is not installed';
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = /## Install on a real cluster\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';

/** The first fenced block of `language` after `label` in the section. */
function blockAfter(label: string, language = 'yaml'): string {
  const start = section.indexOf(label);
  if (start < 0) throw new Error(`the install section has no "${label}"`);
  const block = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(section.slice(start))?.[1];
  if (!block) throw new Error(`no ${language} block after "${label}"`);
  return block;
}

t.test('the install section covers what an operator needs, in order', async (t) => {
  const topics = [
    'Prerequisites',
    'Build and push the image',
    'Set the image',
    'Namespaces',
    'The configuration Secret',
    'Install',
    'What Istio has to do with it',
    'Without Istio',
    'The event log in a cluster',
  ];
  let at = -1;
  for (const topic of topics) {
    const index = section.indexOf(`**${topic}`);
    t.ok(index > at, `**${topic}** comes next`);
    at = index;
  }
  t.match(section, 'sidecar.istio.io/inject', 'the sidecar annotation is explained');
  t.match(section, 'istio-system/kyma-gateway-certs-cacert', 'and the CA Secret Istio reads');
  t.match(blockAfter('**Build and push the image', 'sh'), /docker build -t \S+ \.\ndocker push \S+/);
});

t.test('deploy/ creates no namespace, and each one it puts objects into is named under Namespaces', { skip: NO_KUBECTL }, async (t) => {
  const copy = copyOfDeploy();
  t.teardown(() => copy.remove());
  const docs = renderKustomization(join(copy.root, 'deploy'));
  t.notOk(
    docs.some((d) => d.kind === 'Namespace'),
    'no Namespace object: deleting deploy/ never deletes a namespace',
  );
  const paragraph = section.slice(section.indexOf('**Namespaces'), section.indexOf('**The configuration Secret'));
  const used = new Set(docs.map((d) => d.metadata?.namespace).filter(Boolean) as string[]);
  t.ok(used.size >= 2);
  for (const namespace of used) t.match(paragraph, `\`${namespace}\``, `${namespace} is named, with what goes there`);
  t.match(paragraph, 'kubectl create namespace kyma-system', 'and how to create them');
});

t.test("the images: example sets the Deployment's image", { skip: NO_KUBECTL }, async (t) => {
  const copy = copyOfDeploy();
  t.teardown(() => copy.remove());
  const images = blockAfter('**Set the image');
  const wanted = (parseYaml(images) as { images: Array<{ name: string; newName: string; newTag: string }> }).images[0];
  const deploymentImage = (
    renderKustomization(join(copy.root, 'deploy')).find((d) => d.kind === 'Deployment')!.spec.template.spec.containers[0].image as string
  ).split(':')[0];
  t.equal(wanted.name, deploymentImage, 'it names the image deploy/deployment.yaml uses');
  appendFileSync(join(copy.root, 'deploy/kustomization.yaml'), `\n${images}`);
  const deployment = renderKustomization(join(copy.root, 'deploy')).find((d) => d.kind === 'Deployment')!;
  t.equal(
    deployment.spec.template.spec.containers[0].image,
    `${wanted.newName}:${wanted.newTag}`,
    'the rendered Deployment runs the pushed image',
  );
  t.match(blockAfter('**Build and push the image', 'sh'), `${wanted.newName}:${wanted.newTag}`, 'the one the build step pushed');
});

t.test(
  'the configuration Secret example is the Secret the Deployment names, complete and with an https Connector',
  { skip: NO_KUBECTL },
  async (t) => {
    const copy = copyOfDeploy();
    t.teardown(() => copy.remove());
    const secret = parseYaml(blockAfter('**The configuration Secret')) as {
      kind: string;
      metadata: { name: string; namespace: string };
      stringData: Record<string, string>;
    };
    const env = agentEnvironment(renderKustomization(join(copy.root, 'deploy')).find((d) => d.kind === 'Deployment')!);
    t.equal(secret.kind, 'Secret');
    t.equal(
      `${secret.metadata.namespace}/${secret.metadata.name}`,
      env.APP_AGENT_CONFIGURATION_SECRET ?? 'kyma-system/compass-agent-configuration',
      'where the agent looks',
    );
    t.same(Object.keys(secret.stringData).sort(), ['CONNECTOR_URL', 'RUNTIME_ID', 'TENANT', 'TOKEN']);
    t.same(
      readConfigurationSecret(secret.stringData, 'the README example').problems,
      [],
      'the agent finds nothing missing or insecure in it',
    );
  },
);

t.test(
  'without Istio: deploy/ fails for lack of istio-system, the overlay installs, the agent connects and keeps the CA in kyma-system',
  { skip: NO_KUBECTL },
  async (t) => {
    const copy = copyOfDeploy();
    t.teardown(() => copy.remove());
    const overlay = join(copy.root, 'without-istio');
    mkdirSync(overlay);
    const eventLogPatch = blockAfter('**The event log in a cluster');
    writeFileSync(join(overlay, 'kustomization.yaml'), blockAfter('**Without Istio'));

    const sims = await startSimulators({ apps: 2, namespaces: ['default', 'kube-system', 'kyma-system'] });
    t.teardown(() => sims.close());
    mkdirSync(join(copy.root, 'sim'));
    const info = writeSimFiles(join(copy.root, 'sim'), sims);
    const kubectl = (...args: string[]) => run('kubectl', ['--kubeconfig', info.kube.kubeconfig, ...args], { timeout: 60_000 });

    await kubectl('apply', '-f', join(copy.root, 'crds'));
    const failed = await kubectl('apply', '-k', join(copy.root, 'deploy')).then(
      () => undefined,
      (error: { stderr?: string }) => error.stderr ?? '',
    );
    t.match(failed, 'namespaces "istio-system" not found', 'deploy/ as it is needs istio-system, as the README says');
    const applied = await kubectl('apply', '-k', overlay);
    t.notMatch(applied.stderr, /error/i, 'the overlay applies');
    const docs = renderKustomization(overlay);
    t.notOk(
      docs.some((d) => d.metadata?.namespace === 'istio-system'),
      'nothing in istio-system',
    );
    const deployment = docs.find((d) => d.kind === 'Deployment')!;
    t.equal(deployment.spec.template.metadata.annotations['sidecar.istio.io/inject'], 'false', 'no sidecar asked for');
    const env = agentEnvironment(deployment);
    t.equal(env.APP_CA_CERTIFICATES_SECRET, 'kyma-system/compass-ca-certificates');

    // The agent as its ServiceAccount with the overlay's RBAC and CA Secret.
    await sims.kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'compass-agent-configuration', namespace: 'kyma-system' },
      stringData: { CONNECTOR_URL: info.compass.connectorUrl, RUNTIME_ID: info.runtimeId, TENANT: info.tenant, TOKEN: info.token },
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sims.agentKubeconfigYaml);
    const agent = createAgent({
      config: loadConfig({ ...FAST_ENV, APP_CA_CERTIFICATES_SECRET: env.APP_CA_CERTIFICATES_SECRET }),
      kubeConfig,
      logger: createLogger({ level: 'silent' }),
      compassCaPem: sims.compass.serverCaPem,
    });
    agent.start();
    t.teardown(() => agent.stop());
    const deadline = Date.now() + 60_000;
    const state = () =>
      (
        sims.kube.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection') as
          { status?: { connectionState?: string } } | undefined
      )?.status?.connectionState;
    while (state() !== 'Synchronized' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    t.equal(state(), 'Synchronized', 'the agent connects and synchronizes');
    const ca = sims.kube.get('v1', 'Secret', 'compass-ca-certificates', 'kyma-system') as { data?: Record<string, string> } | undefined;
    t.match(
      Buffer.from(ca?.data?.cacert ?? '', 'base64').toString(),
      /-----BEGIN CERTIFICATE-----/,
      "Compass's CA is in kyma-system/compass-ca-certificates",
    );

    await t.test('the event log patch puts APP_EVENT_LOG_FILE on a volume under the read-only root filesystem', async (t) => {
      appendFileSync(join(overlay, 'kustomization.yaml'), eventLogPatch);
      const patched = renderKustomization(overlay).find((d) => d.kind === 'Deployment')!;
      const container = patched.spec.template.spec.containers.find((c: { name: string }) => c.name === 'agent');
      const file = agentEnvironment(patched).APP_EVENT_LOG_FILE;
      t.ok(file, 'APP_EVENT_LOG_FILE is set');
      const mount = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === dirname(file));
      t.ok(mount, `a volume is mounted at ${dirname(file)}`);
      const volume = patched.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
      t.ok(volume?.emptyDir, 'an emptyDir');
      t.equal(container.securityContext.readOnlyRootFilesystem, true, 'the root filesystem stays read-only');
      t.equal(
        agentEnvironment(patched).APP_CA_CERTIFICATES_SECRET,
        'kyma-system/compass-ca-certificates',
        "and the overlay's other patches still apply",
      );
    });
  },
);
