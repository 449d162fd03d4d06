// The README's "Upgrading from the Go agent" stays true, and deploy/'s one domain setting works: the
// section says what stays, what changes (RBAC, CRD additions, TLS verification and how to give the agent
// Compass's CA) and what happens to the certificate, its CRD claim ("additions only") holds against the
// upstream CRDs, the chart objects it deletes are the chart's, and deploy/ renders the runtime URLs
// from the domain (placeholder when unset, which the agent reads as "not configured") and, with the
// component enabled as the commands enable it, mounts the CA named by NODE_EXTRA_CA_CERTS.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { CLUSTER_DOMAIN_PLACEHOLDER, loadConfig } from '../../src/config.js';
import { agentEnvironment, copyOfDeploy, readmeUpgradeCommands, renderKustomization } from '../helpers/deploy-copy.js';
import { upstreamInstallFile } from '../helpers/upstream-files.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = /## Upgrading from the Go agent\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
const KUBECTL = existsSync('/usr/bin/kubectl');

t.test('the README section says what stays, what changes, and what happens to the certificate', async (t) => {
  t.ok(section, 'README has "## Upgrading from the Go agent"');
  for (const topic of ['What stays the same', 'What the agent does with what the Go agent left', 'What changes', 'The commands'])
    t.match(section, `**${topic}`, topic);
  for (const stays of [
    '`APP_*` variables',
    'compass-agent-configuration',
    '`crt`, `key`, `crtChain`',
    '`cacert`',
    'compassMetadata',
    '`app` and `bundleId`',
  ])
    t.match(section, stays, `stays: ${stays}`);
  for (const changes of [
    '*The Deployment.*',
    '*RBAC*',
    '*CRDs*',
    '*TLS verification of Compass.*',
    'APP_SKIP_COMPASS_TLS_VERIFY',
    'NODE_EXTRA_CA_CERTS',
    '*Runtime labels.*',
  ])
    t.match(section, changes, `changes: ${changes}`);
  t.match(section, /client certificate\* is not resumed/);
  t.match(section, /fresh one-time token/);
  t.match(section, 'field is immutable', 'why the Deployment is deleted first');
});

t.test('the commands: a fresh token into the configuration Secret, the Go agent stopped first, CRDs and deploy/ applied', async (t) => {
  const block = readmeUpgradeCommands(readme);
  const at = (pattern: RegExp) => block.split('\n').findIndex((line) => pattern.test(line));
  const deleteDeployment = at(/^kubectl -n kyma-system delete deployment compass-runtime-agent --cascade=foreground/);
  const token = at(/patch secret compass-agent-configuration .*"TOKEN\\":\\"\$TOKEN\\"/);
  const crds = at(/^kubectl apply -f crds\/$/);
  const apply = at(/^kubectl apply -k deploy\/$/);
  t.ok(deleteDeployment >= 0 && token >= 0 && crds >= 0 && apply >= 0, 'all four steps are there');
  t.ok(deleteDeployment < token, 'the Go agent is stopped before the token is put where it could spend it');
  t.ok(token < apply && crds < apply, 'the token and the CRDs before the agent starts');
  t.match(block, /sed -i "s\/clusterDomain=CLUSTER_DOMAIN\/clusterDomain=\$DOMAIN\/" deploy\/kustomization.yaml/);
  const kustomization = readFileSync(new URL('../../deploy/kustomization.yaml', import.meta.url), 'utf8');
  t.match(kustomization, /^ {6}- clusterDomain=CLUSTER_DOMAIN$/m, 'the literal the sed command replaces');
  t.match(kustomization, /^#components: \[compass-ca\]$/m, 'the line the CA step enables');
});

t.test(
  "the chart objects the commands delete are the chart's extra RBAC",
  { skip: !upstreamInstallFile('go-agent-install.yaml') && 'the upstream chart objects are absent' },
  async (t) => {
    const chart = parseAllDocuments(readFileSync(upstreamInstallFile('go-agent-install.yaml')!, 'utf8')).map((d) => d.toJS());
    const block = readmeUpgradeCommands(readme);
    const deleted = [...block.matchAll(/^kubectl -n (\S+) delete (role|rolebinding) (\S+) /gm)]
      .map(([, ns, kind, name]) => `${kind}/${ns}/${name}`)
      .sort();
    const chartRbac = chart
      .filter((d) => (d.kind === 'Role' || d.kind === 'RoleBinding') && d.metadata.name !== 'compass-runtime-agent')
      .map((d) => `${d.kind.toLowerCase()}/${d.metadata.namespace}/${d.metadata.name}`)
      .sort();
    t.same(deleted, chartRbac, "exactly the chart's Roles and bindings that deploy/ does not replace");
    const deployment = chart.find((d) => d.kind === 'Deployment');
    t.same(
      deployment.spec.selector.matchLabels,
      { app: 'compass-runtime-agent', release: 'compass-runtime-agent' },
      'the selector the README names',
    );
    t.equal(
      deployment.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'APP_SKIP_COMPASS_TLS_VERIFY')?.value,
      'true',
      'the chart turns verification off',
    );
  },
);

t.test(
  'the RBAC the README says is added and dropped is what deploy/ grants compared with the chart',
  {
    skip:
      (!KUBECTL && 'kubectl is not installed') ||
      (!upstreamInstallFile('go-agent-install.yaml') && 'the upstream chart objects are absent'),
  },
  async (t) => {
    type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[] };
    const resourcesOf = (docs: Array<Record<string, any>>) => {
      const out = new Set<string>();
      for (const doc of docs.filter((d) => d.kind === 'Role' || d.kind === 'ClusterRole')) {
        for (const rule of doc.rules as Rule[])
          for (const group of rule.apiGroups ?? ['']) for (const resource of rule.resources ?? []) out.add(`${group}/${resource}`);
      }
      return out;
    };
    const ours = resourcesOf(renderKustomization(new URL('../../deploy', import.meta.url).pathname));
    const chart = resourcesOf(parseAllDocuments(readFileSync(upstreamInstallFile('go-agent-install.yaml')!, 'utf8')).map((d) => d.toJS()));
    const rbac = /- \*RBAC\*[\s\S]*?(?=\n- \*)/.exec(section)?.[0].toLowerCase() ?? '';
    const added = /added:([\s\S]*?)narrowed:/.exec(rbac)?.[1] ?? '';
    const dropped = /dropped:([\s\S]*?)the chart's/.exec(rbac)?.[1] ?? '';
    const named = (text: string, groupResource: string) => {
      const [group, resource] = groupResource.split('/', 2) as [string, string];
      return text.includes(resource.split('/')[0]) || (group !== '' && text.includes(group));
    };
    for (const resource of ours) if (!chart.has(resource)) t.ok(named(added, resource), `README names ${resource} as added`);
    for (const resource of chart) if (!ours.has(resource)) t.ok(named(dropped, resource), `README names ${resource} as dropped`);
  },
);

t.test(
  'crds/ only adds to the upstream CRDs',
  { skip: !upstreamInstallFile('compassconnections-crd.yaml') && 'the upstream CRDs are absent' },
  async (t) => {
    type Schema = { type?: string; required?: string[]; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[] };
    const walk = (schema: Schema, path: string, out: Map<string, Schema>) => {
      out.set(path, schema);
      for (const [key, child] of Object.entries(schema.properties ?? {})) walk(child, `${path}.${key}`, out);
      if (schema.items) walk(schema.items, `${path}[]`, out);
      return out;
    };
    for (const [ours, upstream] of [
      ['compassconnections.compass.kyma-project.io.yaml', 'compassconnections-crd.yaml'],
      ['applications.applicationconnector.kyma-project.io.yaml', 'applications-crd.yaml'],
    ] as const) {
      const a = parse(readFileSync(new URL(`../../crds/${ours}`, import.meta.url), 'utf8'));
      const b = parse(readFileSync(upstreamInstallFile(upstream)!, 'utf8'));
      t.same(a.spec.names.kind, b.spec.names.kind);
      t.equal(a.spec.scope, b.spec.scope);
      t.same(
        a.spec.versions.map((v: { name: string }) => v.name),
        b.spec.versions.map((v: { name: string }) => v.name),
        `${ours}: the same versions`,
      );
      const mine = walk(a.spec.versions[0].schema.openAPIV3Schema, '', new Map());
      const theirs = walk(b.spec.versions[0].schema.openAPIV3Schema, '', new Map());
      for (const [path, schema] of theirs) {
        const kept = mine.get(path);
        t.ok(kept, `${ours}: ${path || '(root)'} kept`);
        if (!kept) continue;
        t.equal(kept.type, schema.type, `${ours}: ${path || '(root)'} same type`);
        // A new requirement on an existing object would make objects the Go agent wrote invalid.
        const added = (kept.required ?? []).filter((required) => !(schema.required ?? []).includes(required));
        t.same(added, [], `${ours}: ${path || '(root)'} requires nothing new`);
      }
    }
  },
);

t.test(
  'deploy/ renders the runtime URLs from one domain setting; unset, the agent reads them as not configured',
  { skip: !KUBECTL && 'kubectl is not installed' },
  async (t) => {
    const copy = copyOfDeploy();
    t.teardown(() => copy.remove());
    const deploy = join(copy.root, 'deploy');
    const docs = renderKustomization(deploy);
    t.notOk(
      docs.some((d) => d.kind === 'ConfigMap'),
      'the domain setting is local to kustomize: nothing extra is applied',
    );
    const env = agentEnvironment(docs.find((d) => d.kind === 'Deployment')!);
    t.equal(env.APP_RUNTIME_EVENTS_URL, `https://gateway.${CLUSTER_DOMAIN_PLACEHOLDER}`);
    t.equal(env.APP_RUNTIME_CONSOLE_URL, `https://console.${CLUSTER_DOMAIN_PLACEHOLDER}`);
    const unset = loadConfig(env);
    t.equal(unset.runtimeEventsUrl, undefined, 'the placeholder is "not configured"');
    t.equal(unset.runtimeConsoleUrl, undefined);

    execFileSync('bash', ['-c', 'sed -i "s/clusterDomain=CLUSTER_DOMAIN/clusterDomain=$DOMAIN/" deploy/kustomization.yaml'], {
      cwd: copy.root,
      env: { ...process.env, DOMAIN: 'c-42.kyma.example.com' },
    });
    const configured = agentEnvironment(renderKustomization(deploy).find((d) => d.kind === 'Deployment')!);
    t.equal(configured.APP_RUNTIME_EVENTS_URL, 'https://gateway.c-42.kyma.example.com');
    t.equal(configured.APP_RUNTIME_CONSOLE_URL, 'https://console.c-42.kyma.example.com');
    const config = loadConfig(configured);
    t.equal(config.runtimeEventsUrl, 'https://gateway.c-42.kyma.example.com');
    t.equal(config.runtimeConsoleUrl, 'https://console.c-42.kyma.example.com');
    t.equal(loadConfig({ APP_RUNTIME_EVENTS_URL: '' }).runtimeEventsUrl, undefined, 'empty: not configured');
    t.equal(
      loadConfig({ APP_RUNTIME_EVENTS_URL: 'https://gateway.cluster_domain' }).runtimeEventsUrl,
      undefined,
      'the placeholder in any case',
    );
  },
);

t.test(
  'the compass-ca component, enabled as the commands enable it, mounts the CA and names it in NODE_EXTRA_CA_CERTS',
  { skip: !KUBECTL && 'kubectl is not installed' },
  async (t) => {
    const copy = copyOfDeploy();
    t.teardown(() => copy.remove());
    const pem = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';
    writeFileSync(join(copy.root, 'ca.pem'), pem);
    const block = readmeUpgradeCommands(readme);
    const caStep = /^if \[ -n "\$\{COMPASS_CA:-\}" \]; then\n[\s\S]*?\nfi$/m.exec(block)?.[0];
    t.ok(caStep, 'the block has the CA step');
    execFileSync('bash', ['-euo', 'pipefail', '-c', caStep!], {
      cwd: copy.root,
      env: { ...process.env, COMPASS_CA: join(copy.root, 'ca.pem') },
    });
    const docs = renderKustomization(join(copy.root, 'deploy'));
    const configMap = docs.find((d) => d.kind === 'ConfigMap');
    t.match(configMap?.metadata.name, /^compass-gateway-ca-[a-z0-9]+$/, 'named with a hash of the CA: a new CA rolls the Pods');
    t.equal(configMap?.metadata.namespace, 'kyma-system');
    t.equal(configMap?.data['ca.crt'], pem);
    const deployment = docs.find((d) => d.kind === 'Deployment')!;
    const container = deployment.spec.template.spec.containers.find((c: { name: string }) => c.name === 'agent');
    const path = container.env.find((e: { name: string }) => e.name === 'NODE_EXTRA_CA_CERTS')?.value;
    const mount = container.volumeMounts.find((m: { mountPath: string }) => path?.startsWith(`${m.mountPath}/`));
    t.equal(mount?.readOnly, true);
    t.equal(
      deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount?.name)?.configMap?.name,
      configMap?.metadata.name,
    );
    t.equal(path, `${mount.mountPath}/ca.crt`);
    t.notOk(
      container.env.some((e: { name: string }) => e.name === 'APP_SKIP_COMPASS_TLS_VERIFY'),
      'verification stays on',
    );

    const base = agentEnvironment(
      renderKustomization(join(new URL('../../deploy', import.meta.url).pathname)).find((d) => d.kind === 'Deployment')!,
    );
    t.notOk('NODE_EXTRA_CA_CERTS' in base, 'not enabled in deploy/ as shipped');
  },
);
