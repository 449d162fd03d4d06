// Both simulators started together, for the sim and demo commands only (the agent itself never
// imports sim/): the Kubernetes API with the project's CRDs and the agent's namespaces, and Compass
// with a runtime and N applications.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';
import { startCompassSim, type CompassSim, type CompassSimOptions } from '../../sim/compass/index.js';

export interface Simulators {
  kube: KubeSim;
  compass: CompassSim;
  /** Cluster admin (system:masters). */
  kubeconfigYaml: string;
  /** The agent's ServiceAccount (AGENT_SERVICE_ACCOUNT): a token the simulator minted, valid for a year. */
  agentKubeconfigYaml: string;
  close(): Promise<void>;
}

export interface SimulatorOptions {
  dir?: string;
  apps?: number;
  compass?: CompassSimOptions;
  /** Namespaces the cluster starts with; default those of a Kyma cluster: default, kube-system, kyma-system, istio-system. */
  namespaces?: string[];
}

/** The project's crds/ folder, found from this module both in a checkout (src/) and in dist/src/. */
export function crdDirectory(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = join(dir, 'crds');
    try {
      if (readdirSync(candidate).some((f) => f.endsWith('.yaml'))) return candidate;
    } catch {
      // keep looking upwards
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the crds/ folder next to the runtime-agent installation');
}

/** deploy/service-account.yaml: the identity the agent runs as in a cluster; deploy/rbac.yaml grants it what it needs. */
export const AGENT_SERVICE_ACCOUNT = { namespace: 'kyma-system', name: 'compass-runtime-agent' } as const;
const AGENT_TOKEN_SECONDS = 365 * 24 * 3600;

export async function startSimulators(options: SimulatorOptions = {}): Promise<Simulators> {
  const kube = await startKubeSim({
    crdDir: crdDirectory(),
    namespaces: options.namespaces ?? ['default', 'kube-system', 'kyma-system', 'istio-system'],
  });
  let compass: CompassSim;
  try {
    compass = await startCompassSim({ apps: options.apps ?? 3, ...options.compass });
  } catch (err) {
    await kube.close();
    throw err;
  }
  const kubeconfigYaml = await kube.kubeconfig();
  // The ServiceAccount exists from the start so that its kubeconfig can be written; what it may do is
  // up to the RBAC applied (kubectl apply -k deploy/), as in a real cluster.
  const { namespace, name } = AGENT_SERVICE_ACCOUNT;
  if (!kube.get('v1', 'ServiceAccount', name, namespace)) {
    await kube.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
  }
  const agentKubeconfigYaml = kube.serviceAccountKubeconfig(namespace, name, { expirationSeconds: AGENT_TOKEN_SECONDS });
  return {
    kube,
    compass,
    kubeconfigYaml,
    agentKubeconfigYaml,
    async close() {
      await Promise.allSettled([kube.close(), compass.close()]);
    },
  };
}
