// The limit the agent's initial synchronisation is compared with: the same Applications and Secrets
// created straight through client-node, `concurrency` Applications at a time, each followed by its
// Secrets (owned by the stored Application, as the agent does it). Nothing else: no Director fetch,
// no reads, no watch. Run as a child process, like the agent, so both clients get their own process:
//   node dist/bench/direct-create.js KUBECONFIG OBJECTS.json CONCURRENCY [keep-alive]
// prints {"ms":…,"applications":…,"secrets":…} on stdout. With `keep-alive`, every request goes
// through one keep-alive https.Agent instead of the new agent client-node 1.4 builds per request.
import { Agent } from 'node:https';
import { readFileSync } from 'node:fs';
import { CoreV1Api, CustomObjectsApi, KubeConfig, type V1Secret } from '@kubernetes/client-node';

export interface DirectObjects {
  applications: Array<{
    application: Record<string, unknown> & { metadata: { name: string } };
    secrets: Array<V1Secret & { metadata: { name: string; namespace: string } }>;
  }>;
}

async function main(): Promise<void> {
  const [kubeconfigPath, objectsPath, concurrencyText, mode] = process.argv.slice(2);
  if (!kubeconfigPath || !objectsPath) throw new Error('usage: direct-create.js KUBECONFIG OBJECTS.json [CONCURRENCY] [keep-alive]');
  const concurrency = Number(concurrencyText ?? 16);
  const objects = JSON.parse(readFileSync(objectsPath, 'utf8')) as DirectObjects;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  if (mode === 'keep-alive') {
    // createAgent is private in the typings; it is what applySecurityAuthentication calls per request.
    const createAgent: unknown = Reflect.get(kubeConfig, 'createAgent');
    if (typeof createAgent !== 'function') throw new Error('KubeConfig.createAgent is gone: keep-alive mode replaces it');
    const create = (cluster: unknown, options: Record<string, unknown>): Agent =>
      Reflect.apply(createAgent, kubeConfig, [cluster, options]);
    let shared: Agent | undefined;
    Reflect.set(
      kubeConfig,
      'createAgent',
      (cluster: unknown, options: Record<string, unknown>) => (shared ??= create(cluster, { ...options, keepAlive: true })),
    );
  }
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const [group, version] = ['applicationconnector.kyma-project.io', 'v1alpha1'];

  let next = 0;
  let secrets = 0;
  const worker = async (): Promise<void> => {
    while (next < objects.applications.length) {
      const item = objects.applications[next++];
      const stored = (await custom.createClusterCustomObject({ group, version, plural: 'applications', body: item.application })) as {
        metadata: { name: string; uid: string };
      };
      for (const secret of item.secrets) {
        const owner = { apiVersion: `${group}/${version}`, kind: 'Application', name: stored.metadata.name, uid: stored.metadata.uid };
        await core.createNamespacedSecret({
          namespace: secret.metadata.namespace,
          body: { ...secret, metadata: { ...secret.metadata, ownerReferences: [owner] } },
        });
        secrets++;
      }
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, objects.applications.length)) }, worker));
  const ms = performance.now() - start;
  process.stdout.write(JSON.stringify({ ms, applications: objects.applications.length, secrets }) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
