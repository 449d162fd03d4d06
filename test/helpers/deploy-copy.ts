// A copy of the checkout's crds/ and deploy/ in a temporary folder, for tests that run the README's
// commands (which edit deploy/kustomization.yaml, as an operator does in their copy) without touching
// the checkout; and the agent's environment as the rendered Deployment gives it.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const CHECKOUT = new URL('../../', import.meta.url).pathname;

/** A fresh folder holding copies of crds/ and deploy/ (and the README); removed by `remove`. */
export function copyOfDeploy(): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'deploy-copy-'));
  for (const entry of ['crds', 'deploy', 'README.md']) cpSync(join(CHECKOUT, entry), join(root, entry), { recursive: true });
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** `kubectl kustomize <dir>` as parsed documents. */
export function renderKustomization(dir: string): Array<Record<string, any>> {
  const rendered = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(rendered)
    .map((doc) => doc.toJS())
    .filter(Boolean);
}

type EnvVar = { name: string; value?: string };

/** The plain `value` environment of the agent container of a Deployment object. */
export function agentEnvironment(deployment: Record<string, any>): Record<string, string> {
  const container = (deployment.spec.template.spec.containers as Array<{ name: string; env?: EnvVar[] }>).find((c) => c.name === 'agent');
  if (!container) throw new Error('the Deployment has no container named agent');
  return Object.fromEntries((container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
}

/** The README's fenced sh block that follows `**The commands**`, as lines (the upgrade commands). */
export function readmeUpgradeCommands(readme: string): string {
  const section = /## Upgrading from the Go agent\n([\s\S]*?)\n## /.exec(readme)?.[1];
  if (!section) throw new Error('the README has no "Upgrading from the Go agent" section');
  const block = /\*\*The commands\*\*[\s\S]*?```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('the "Upgrading from the Go agent" section has no sh block after **The commands**');
  return block;
}
