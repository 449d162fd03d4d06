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
  kubeconfigYaml: string;
  close(): Promise<void>;
}

export interface SimulatorOptions {
  dir?: string;
  apps?: number;
  compass?: CompassSimOptions;
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

export async function startSimulators(options: SimulatorOptions = {}): Promise<Simulators> {
  const kube = await startKubeSim({ crdDir: crdDirectory(), namespaces: ['default', 'kube-system', 'kyma-system', 'istio-system'] });
  let compass: CompassSim;
  try {
    compass = await startCompassSim({ apps: options.apps ?? 3, ...options.compass });
  } catch (err) {
    await kube.close();
    throw err;
  }
  const kubeconfigYaml = await kube.kubeconfig();
  return {
    kube,
    compass,
    kubeconfigYaml,
    async close() {
      await Promise.allSettled([kube.close(), compass.close()]);
    },
  };
}
