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

t.test(
  'deploy/ renders with kustomize into a least-privilege agent',
  { skip: existsSync('/usr/bin/kubectl') ? false : 'kubectl is not installed' },
  async (t) => {
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
    for (const name of Object.keys(env).filter((n) => n !== 'NODE_OPTIONS'))
      t.ok(
        CONFIG_VARIABLES.some((v) => v.name === name),
        `${name} is a variable the agent reads`,
      );
    const heapMB = Number(/--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS ?? '')?.[1]);
    const limitMiB = Number(/^(\d+)Mi$/.exec(container.resources.limits.memory)?.[1]);
    t.ok(
      heapMB > 0 && heapMB <= limitMiB * 0.8,
      `the V8 heap cap (${heapMB} MB) leaves room below the memory limit (${limitMiB} Mi) for code and buffers`,
    );
    t.notOk('APP_SKIP_COMPASS_TLS_VERIFY' in env, 'TLS verification stays on');
    // Secrets are listed and watched only in the integration namespace (the label watch of the Application
    // Secrets, README Operations); elsewhere (istio-system) only by name.
    for (const role of byKind('Role')) {
      for (const rule of role.rules.filter((r: { resources: string[] }) => r.resources.includes('secrets'))) {
        if (!rule.verbs.includes('list') && !rule.verbs.includes('watch')) continue;
        if (role.metadata.namespace !== env.APP_INTEGRATION_NAMESPACE)
          t.ok(rule.resourceNames?.length, `Secrets in ${role.metadata.namespace} are listed or watched only by name`);
      }
    }
    const integration = byKind('Role').filter((role) => role.metadata.namespace === env.APP_INTEGRATION_NAMESPACE);
    const secretVerbs = integration
      .flatMap((role) => role.rules)
      .filter((rule: { resources: string[]; resourceNames?: string[] }) => rule.resources.includes('secrets') && !rule.resourceNames)
      .flatMap((rule: { verbs: string[] }) => rule.verbs);
    for (const verb of ['get', 'list', 'watch', 'create', 'update', 'delete'])
      t.ok(secretVerbs.includes(verb), `${verb} on Secrets in the integration namespace`);
  },
);

t.test(
  'deploy/: the istio-system Role names the CA Secret, the memory request covers the idle RSS, a NetworkPolicy',
  { skip: existsSync('/usr/bin/kubectl') ? false : 'kubectl is not installed' },
  async (t) => {
    const rendered = execFileSync('kubectl', ['kustomize', new URL('../../deploy', import.meta.url).pathname]).toString();
    const docs = parseAllDocuments(rendered).map((d) => d.toJS());
    const deployment = docs.find((d) => d.kind === 'Deployment');
    const container = deployment.spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));

    const caSecret = String(env.APP_CA_CERTIFICATES_SECRET).split('/');
    t.equal(caSecret[0], 'istio-system');
    const istio = docs.find((d) => d.kind === 'Role' && d.metadata.namespace === 'istio-system');
    for (const rule of istio.rules as Array<{ resources: string[]; verbs: string[]; resourceNames?: string[] }>) {
      // The Deployment's name and the agent's default (for an install without APP_CA_CERTIFICATES_SECRET).
      if (rule.verbs.some((verb) => verb !== 'create'))
        t.same(rule.resourceNames, [caSecret[1], 'ca-certificates'], `${rule.verbs.join(', ')} only on the CA Secret by name`);
      else t.same(rule.verbs, ['create'], 'create, which carries no name, is the only unnamed verb');
    }
    const istioVerbs = istio.rules.flatMap((rule: { verbs: string[] }) => rule.verbs).sort();
    t.same(
      istioVerbs,
      ['create', 'get', 'list', 'update', 'watch'],
      'what the agent does with the CA Secret: GET, watch by name, then create or PUT',
    );

    const idleMB = Number(/agent RSS at idle[^|]*\| (\d+(?:\.\d+)?) MB \|/.exec(readme)?.[1]);
    const requestMiB = Number(/^(\d+)Mi$/.exec(container.resources.requests.memory)?.[1]);
    t.ok(idleMB > 0, `README states the idle RSS (${idleMB} MB)`);
    t.ok(
      requestMiB * 1.048576 >= idleMB && requestMiB * 1.048576 <= idleMB * 1.25,
      `the memory request (${requestMiB} Mi) matches the measured idle RSS (${idleMB} MB)`,
    );

    t.notOk(env.APP_DEBUG_ADDRESS && !/^127\.|^\[::1\]|^localhost:/.test(env.APP_DEBUG_ADDRESS), '/debug stays on loopback');
    const service = docs.find((d) => d.kind === 'Service');
    t.same(
      service.spec.ports.map((p: { port: number }) => p.port),
      [8090],
      'the Service exposes the health port only',
    );

    const policy = docs.find((d) => d.kind === 'NetworkPolicy');
    t.ok(policy, 'a NetworkPolicy is installed');
    t.same(policy.spec.podSelector.matchLabels, deployment.spec.selector.matchLabels, 'for the agent Pod');
    t.same(policy.spec.policyTypes, ['Ingress', 'Egress']);
    const ingressPorts = policy.spec.ingress.flatMap((rule: { ports: Array<{ port: number }> }) => rule.ports.map((p) => p.port));
    t.ok(ingressPorts.includes(8090), 'ingress to the health port');
    t.notOk(ingressPorts.includes(8091), 'not to the debug port');
    const egress = policy.spec.egress as Array<{
      to?: Array<{ ipBlock?: { cidr: string; except?: string[] } }>;
      ports: Array<{ protocol: string; port: number }>;
    }>;
    const egressPorts = egress.flatMap((rule) => rule.ports.map((p) => `${p.protocol}/${p.port}`));
    for (const port of ['UDP/53', 'TCP/53', 'TCP/443']) t.ok(egressPorts.includes(port), `egress ${port}`);
    for (const rule of egress) t.ok(rule.ports.length > 0, 'every egress rule names its ports');
    const open = egress.flatMap((rule) => rule.to ?? []).filter((to) => to.ipBlock?.cidr === '0.0.0.0/0');
    for (const to of open) t.ok(to.ipBlock!.except?.includes('169.254.0.0/16'), 'cloud metadata addresses stay out of reach');
  },
);

t.test(
  'the README has a Security section that says what is trusted, where secrets live, how redaction works and how to report',
  async (t) => {
    const section = /## Security\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
    for (const topic of [
      'What the agent trusts',
      'What it does not trust',
      'A cluster left by the Go agent',
      'Lab settings',
      'Where secrets live',
      'Redaction',
      'Reporting a vulnerability',
    ]) {
      t.match(section, `**${topic}`, topic);
    }
    for (const name of [
      'APP_SKIP_COMPASS_TLS_VERIFY',
      'APP_ALLOW_INSECURE_COMPASS_HTTP',
      'directorUrl',
      'connectorUrl',
      'SecureCompassTransport',
      'runtime_agent_insecure_compass_transport',
    ]) {
      t.match(section, name, `names ${name}`);
    }
  },
);
