// The README and the manifests stay true: every configuration variable is documented with its
// default, the README's commands exist, and deploy/ renders into what the agent needs.
import t from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

t.test('the README documents every configuration variable with its default', async (t) => {
  for (const v of CONFIG_VARIABLES) {
    t.match(readme, `| \`${v.name}\` | \`${v.default || '(unset)'}\` |`, v.name);
  }
});

t.test('the README names the two commands that must work on a fresh machine', async (t) => {
  t.match(readme, 'npm install && npm start');
  t.match(readme, 'npm install && npm test');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  t.equal(pkg.scripts.start, 'node bin/runtime-agent demo');
  t.equal(pkg.bin['runtime-agent'], 'bin/runtime-agent');
  for (const command of ['run', 'demo', 'sim', 'visualize', 'replay', 'revoke']) {
    t.match(readme, `| \`${command}`, `README lists ${command}`);
    t.ok(existsSync(new URL(`../../src/commands/${command}.ts`, import.meta.url)), `src/commands/${command}.ts exists`);
  }
});

t.test('deploy/ renders with kustomize into a least-privilege agent', { skip: existsSync('/usr/bin/kubectl') ? false : 'kubectl is not installed' }, async (t) => {
  const rendered = execFileSync('kubectl', ['kustomize', new URL('../../deploy', import.meta.url).pathname]).toString();
  const docs = parseAllDocuments(rendered).map((d) => d.toJS());
  const byKind = (kind: string) => docs.filter((d) => d.kind === kind);
  const deployment = byKind('Deployment')[0];
  t.equal(deployment.metadata.namespace, 'kyma-system');
  const container = deployment.spec.template.spec.containers[0];
  t.same(container.args, ['run']);
  t.equal(container.livenessProbe.httpGet.path, '/healthz');
  t.equal(container.readinessProbe.httpGet.path, '/readyz');
  t.equal(container.securityContext.readOnlyRootFilesystem, true);
  const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
  for (const name of Object.keys(env).filter((n) => n !== 'NODE_OPTIONS')) t.ok(CONFIG_VARIABLES.some((v) => v.name === name), `${name} is a variable the agent reads`);
  const heapMB = Number(/--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS ?? '')?.[1]);
  const limitMiB = Number(/^(\d+)Mi$/.exec(container.resources.limits.memory)?.[1]);
  t.ok(heapMB > 0 && heapMB <= limitMiB * 0.8, `the V8 heap cap (${heapMB} MB) leaves room below the memory limit (${limitMiB} Mi) for code and buffers`);
  t.notOk('APP_SKIP_COMPASS_TLS_VERIFY' in env, 'TLS verification stays on');
  const secretRules = byKind('Role').flatMap((r) => r.rules).filter((rule: { resources: string[] }) => rule.resources.includes('secrets'));
  for (const rule of secretRules) {
    if (rule.verbs.includes('list') || rule.verbs.includes('watch')) t.ok(rule.resourceNames?.length, 'Secrets are listed or watched only by name');
  }
});
