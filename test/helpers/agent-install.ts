// Installs the agent into the Kubernetes simulator the way an operator does on a cluster:
// `kubectl apply -k deploy/` (kustomize renders the ServiceAccount, RBAC, Deployment, Service and
// NetworkPolicy; kubectl is the independent client), then hands out the kubeconfig of the agent's
// ServiceAccount. An agent started with it can do exactly what deploy/ grants: a verb missing there
// is a 403 in the test, not a surprise on the first real cluster.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';
import { spawnAgent, type AgentProcess } from '../../bench/agent-process.js';
import { writeSimFiles } from '../../src/commands/sim.js';
import { startSimulators, type Simulators } from '../../src/commands/simulators.js';
import { FAST_ENV } from './agent-harness.js';

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

/**
 * Simulators with `apps` applications, the agent installed as above, and `runtime-agent run` spawned
 * with `command` against them (the agent's own kubeconfig, FAST_ENV); everything stopped at teardown.
 */
export async function spawnInstalledAgent(
  t: Pick<Test, 'teardown'>,
  options: { apps: number; command: [string, ...string[]] },
): Promise<{ sims: Simulators; agent: AgentProcess }> {
  const sims = await startSimulators({ apps: options.apps });
  const files = mkdtempSync(join(tmpdir(), 'installed-agent-'));
  let agent: AgentProcess | undefined;
  t.teardown(async () => {
    await agent?.stop();
    await sims.close();
    rmSync(files, { recursive: true, force: true });
  });
  const info = writeSimFiles(files, sims);
  await installAgent(sims, info.kube.kubeconfig);
  agent = spawnAgent({
    kubeconfigPath: info.kube.agentKubeconfig,
    compassCaFile: info.compass.caFile,
    env: FAST_ENV,
    command: options.command,
  });
  return { sims, agent };
}
