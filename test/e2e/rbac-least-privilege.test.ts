// deploy/ grants the agent what it uses and nothing more. The agent runs as its ServiceAccount
// (installed with kubectl apply -k deploy/) through every path that needs a grant: connecting,
// leader election, Events, Applications created, replaced and deleted with their Secrets, a Secret
// repaired after a hand edit, a renewal rewriting both certificate Secrets, the CR's flags written
// back, an Event's series counted. Then
// the request log must show (1) no request refused for want of a grant, and (2) every verb granted in
// the rendered RBAC used at least once, except the few that only rare paths need, each named below
// with the code that needs it. A verb added to deploy/ without use, or removed while still needed,
// fails here.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { startHarness, CA_SECRET, type Harness } from '../helpers/agent-harness.js';
import { uuid } from '../helpers/sync-checks.js';

const run = promisify(execFile);
const DEPLOY = new URL('../../deploy/', import.meta.url).pathname;
const AGENT = 'system:serviceaccount:kyma-system:compass-runtime-agent';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
}

/** `namespace|group/resource verb` for every verb deploy/ grants the agent's ServiceAccount ("*" namespace: cluster-wide). */
async function grantedToAgent(): Promise<Set<string>> {
  const { stdout } = await run('kubectl', ['kustomize', DEPLOY]);
  const objects = parseAllDocuments(stdout)
    .map((d) => d.toJSON() as RbacObject)
    .filter(Boolean);
  const roles = new Map(
    objects
      .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
      .map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]),
  );
  const granted = new Set<string>();
  for (const binding of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    const forAgent = binding.subjects?.some(
      (s) => s.kind === 'ServiceAccount' && `system:serviceaccount:${s.namespace}:${s.name}` === AGENT,
    );
    if (!forAgent) continue;
    const roleNamespace = binding.roleRef!.kind === 'Role' ? (binding.metadata.namespace ?? '') : '';
    const role = roles.get(`${binding.roleRef!.kind}/${roleNamespace}/${binding.roleRef!.name}`);
    const scope = binding.kind === 'RoleBinding' ? binding.metadata.namespace! : '*';
    for (const rule of role?.rules ?? []) {
      for (const group of rule.apiGroups ?? [''])
        for (const resource of rule.resources ?? []) for (const verb of rule.verbs) granted.add(`${scope}|${group}/${resource} ${verb}`);
    }
  }
  return granted;
}

/** The same keys for the agent's requests in the simulator's log. */
function used(h: Harness, refused = false): Set<string> {
  const keys = new Set<string>();
  for (const e of h.sims.kube.requestLog) {
    if (e.user !== AGENT || !e.resource) continue;
    if (refused !== (e.status === 403)) continue;
    const resource = e.subresource ? `${e.resource}/${e.subresource}` : e.resource;
    keys.add(`${e.namespace ?? '*'}|${e.group ?? ''}/${resource} ${e.verb}`);
  }
  return keys;
}

/**
 * Grants only a rare path needs, each with the code that sends it; the test checks the code is there,
 * so the entry goes when the code does.
 */
const RARE: Record<string, { file: string; call: string; why: string }> = {
  '*|applicationconnector.kyma-project.io/applications get': {
    file: 'adapters/kube/application-store.ts',
    call: 'getClusterCustomObject',
    why: 'a replace that conflicts (409) re-reads the Application by name',
  },
};

t.test('deploy/ grants the agent exactly the verbs its code paths use', async (t) => {
  const h = await startHarness({ apps: 0 });
  t.teardown(() => h.close());
  const compass = h.sims.compass.control;
  const application = (n: number, password: string, description = 'first') =>
    compass.upsertApplication({
      id: uuid('f1000000', n),
      name: `rbac-${n}`,
      description,
      bundles: [
        {
          id: uuid('f2000000', n),
          name: `bundle ${n}`,
          defaultInstanceAuth: {
            credential: { __typename: 'BasicCredentialData', username: `user-${n}`, password },
            additionalHeaders: { 'x-n': [String(n)] },
          },
          apiDefinitions: [{ id: uuid('f3000000', n), name: 'api', targetURL: `https://rbac.example.com/${n}` }],
        },
      ],
    });
  application(1, 'first-password');
  application(2, 'second-password');
  await h.writeConfigSecret();
  h.startAgent({
    APP_LEADER_ELECTION: 'true',
    APP_LEADER_ELECTION_LEASE_DURATION: '4s',
    APP_LEADER_ELECTION_RENEW_DEADLINE: '3s',
    APP_LEADER_ELECTION_RETRY_PERIOD: '1s',
  });
  await h.waitForState('Synchronized', 60_000);
  const credentials = `mp-rbac-1-${uuid('f2000000', 1)}`;
  await h.waitFor('the credential Secret', () => h.secretData({ namespace: 'kyma-system', name: credentials }));

  // Replaced: an Application and its Secret change; deleted: the other goes with its Secrets.
  application(1, 'rotated-password', 'second');
  compass.removeApplication(uuid('f1000000', 2));
  await h.waitFor(
    'the rotated password and the removed Application',
    () =>
      h.secretData({ namespace: 'kyma-system', name: credentials })?.password === 'rotated-password' &&
      !h.sims.kube.get('applicationconnector.kyma-project.io/v1alpha1', 'Application', 'mp-rbac-2'),
    60_000,
  );

  // A Secret edited by hand is repaired (the label watch).
  await h.kubectl('-n', 'kyma-system', 'patch', 'secret', credentials, '--type', 'merge', '-p', '{"stringData":{"password":"edited"}}');
  await h.waitFor(
    'the repaired Secret',
    () => h.secretData({ namespace: 'kyma-system', name: credentials })?.password === 'rotated-password',
    60_000,
  );

  // A renewal rewrites the client-certificate Secret, and the CA Secret where it no longer holds the
  // Connector's CA (edited by hand here); the user's flag is written back through the object.
  await h.kubectl(
    '-n',
    CA_SECRET.namespace,
    'patch',
    'secret',
    CA_SECRET.name,
    '--type',
    'merge',
    '-p',
    '{"stringData":{"cacert":"edited by hand"}}',
  );
  const caVersion = (h.sims.kube.get('v1', 'Secret', CA_SECRET.name, CA_SECRET.namespace) as { metadata: { resourceVersion: string } })
    .metadata.resourceVersion;
  await h.kubectl('patch', 'compassconnection', 'compass-connection', '--type', 'merge', '-p', '{"spec":{"refreshCredentialsNow":true}}');
  await h.waitFor(
    'the renewal and the flag reset',
    () => {
      const cr = h.connection();
      return cr?.spec.refreshCredentialsNow === false &&
        cr.status?.connectionState === 'Synchronized' &&
        cr.status.connectionStatus?.renewed
        ? cr
        : undefined;
    },
    60_000,
  );
  t.not(
    (h.sims.kube.get('v1', 'Secret', CA_SECRET.name, CA_SECRET.namespace) as { metadata: { resourceVersion: string } }).metadata
      .resourceVersion,
    caVersion,
    'the renewal wrote the CA Secret',
  );
  t.match(h.secretData(CA_SECRET)?.cacert, /^-----BEGIN CERTIFICATE-----/, "with the Connector's CA again");
  // A repeated failure makes the recorder patch its Event's series.
  compass.armFault({ operation: 'applicationsForRuntime', kind: 'http-status', status: 503, count: 'unlimited' });
  await h.waitFor(
    'a repeated Event counted in a series (a patch)',
    () => h.sims.kube.requestLog.some((e) => e.user === AGENT && e.resource === 'events' && e.verb === 'patch'),
    60_000,
  );
  compass.clearFaults();
  await h.stopAgent();

  t.same([...used(h, true)], [], 'no request of the agent was refused (403)');
  const granted = await grantedToAgent();
  const usedKeys = used(h);
  const unused = [...granted].filter((key) => !usedKeys.has(key) && !RARE[key]);
  t.same(unused, [], 'every verb deploy/ grants was used (or is a rare path listed in this test)');
  const ungranted = [...usedKeys].filter((key) => !granted.has(key));
  t.same(ungranted, [], 'nothing the agent did lies outside what deploy/ grants');
  for (const [key, rare] of Object.entries(RARE)) {
    t.ok(granted.has(key), `${key} is still granted (${rare.why}); drop the entry with the grant`);
    t.ok(
      readFileSync(new URL(`../../${rare.file}`, import.meta.url), 'utf8').includes(rare.call),
      `${rare.file} still sends it: ${rare.why}`,
    );
  }
});
