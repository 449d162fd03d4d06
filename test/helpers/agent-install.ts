// Installs the agent into the Kubernetes simulator the way an operator does on a cluster:
// `kubectl apply -k deploy/` (kustomize renders the ServiceAccount, RBAC, Deployment, Service and
// NetworkPolicy; kubectl is the independent client), then hands out the kubeconfig of the agent's
// ServiceAccount. An agent started with it can do exactly what deploy/ grants: a verb missing there
// is a 403 in the test, not a surprise on the first real cluster.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Simulators } from '../../src/commands/simulators.js';

const run = promisify(execFile);
const DEPLOY = new URL('../../deploy/', import.meta.url).pathname;

/** Applies deploy/ with the admin kubeconfig; returns the agent's kubeconfig (YAML, its ServiceAccount's token). */
export async function installAgent(sims: Simulators, adminKubeconfigPath: string): Promise<string> {
  try {
    await run('kubectl', ['--kubeconfig', adminKubeconfigPath, 'apply', '-k', DEPLOY], { timeout: 60_000 });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`kubectl apply -k deploy/ failed against the simulator: ${stderr ?? (error as Error).message}`);
  }
  return sims.agentKubeconfigYaml;
}
