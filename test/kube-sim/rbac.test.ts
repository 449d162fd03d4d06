// Authorization over real HTTPS with a ServiceAccount token: RBAC from stored Roles, ClusterRoles and
// their bindings decides every request, a denial is the API server's 403, and it comes before
// routing, the request body and fault injection.
import t from 'tap';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';
import { simClient, type SimClient } from './https-client.js';

const CRDS = new URL('../../crds/', import.meta.url).pathname;
const SA_NAME = 'compass-runtime-agent';
const USER = `system:serviceaccount:kyma-system:${SA_NAME}`;
const RBAC = 'rbac.authorization.k8s.io';
const CC = '/apis/compass.kyma-project.io/v1alpha1/compassconnections';
const APPS = '/apis/applicationconnector.kyma-project.io/v1alpha1/applications';
const KYMA_SECRETS = '/api/v1/namespaces/kyma-system/secrets';

let sim: KubeSim;
let admin: SimClient;
let agent: SimClient;

/** What the agent's deploy/rbac.yaml grants, as a fixture of this test (deploy/ itself is checked with kubectl). */
const agentRbac = [
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA_NAME, namespace: 'kyma-system' } },
  {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRole',
    metadata: { name: 'agent' },
    rules: [
      {
        apiGroups: ['compass.kyma-project.io'],
        resources: ['compassconnections', 'compassconnections/status'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
      {
        apiGroups: ['applicationconnector.kyma-project.io'],
        resources: ['applications'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
    ],
  },
  {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'agent' },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'agent' },
    subjects: [{ kind: 'ServiceAccount', name: SA_NAME, namespace: 'kyma-system' }],
  },
  {
    apiVersion: `${RBAC}/v1`,
    kind: 'Role',
    metadata: { name: 'agent', namespace: 'kyma-system' },
    rules: [
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'update', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['compass-agent-configuration'], verbs: ['list', 'watch'] },
    ],
  },
  {
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'agent', namespace: 'kyma-system' },
    roleRef: { apiGroup: RBAC, kind: 'Role', name: 'agent' },
    subjects: [{ kind: 'ServiceAccount', name: SA_NAME }],
  },
];

t.before(async () => {
  sim = await startKubeSim({ crdDir: CRDS, namespaces: ['default', 'kyma-system'] });
  for (const obj of agentRbac) await sim.create(obj);
  admin = await simClient(sim);
  agent = await simClient(sim, { token: sim.serviceAccountToken('kyma-system', SA_NAME) });
});
t.teardown(() => sim.close());

const forbiddenStatus = (message: string, details: Record<string, string>) => ({
  status: 403,
  body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', code: 403, details },
});

t.test('a ServiceAccount token may do what its Role and ClusterRole grant', async (t) => {
  t.equal((await agent.call('GET', `${KYMA_SECRETS}/compass-agent-configuration`)).status, 404, 'get: authorized, then not found');
  t.equal(
    (await agent.call('POST', KYMA_SECRETS, { metadata: { name: 'compass-agent-configuration' }, stringData: { TOKEN: 'x' } })).status,
    201,
  );
  t.equal(
    (
      await agent.call(
        'PATCH',
        `${KYMA_SECRETS}/compass-agent-configuration`,
        { metadata: { labels: { a: 'b' } } },
        { 'content-type': 'application/merge-patch+json' },
      )
    ).status,
    200,
  );
  const named = await agent.call('GET', `${KYMA_SECRETS}?fieldSelector=${encodeURIComponent('metadata.name=compass-agent-configuration')}`);
  t.equal(named.status, 200, 'a list named by fieldSelector matches the rule with resourceNames');
  t.same(
    named.body.items.map((s: { metadata: { name: string } }) => s.metadata.name),
    ['compass-agent-configuration'],
  );
  const watch = await agent.watch(
    `${KYMA_SECRETS}?watch=true&fieldSelector=${encodeURIComponent('metadata.name=compass-agent-configuration')}`,
  );
  t.equal((await watch.waitFor((e) => e.type === 'ADDED')).object.metadata.name, 'compass-agent-configuration', 'so is a watch');
  watch.close();
  t.equal(
    (
      await agent.call('POST', CC, {
        apiVersion: 'compass.kyma-project.io/v1alpha1',
        kind: 'CompassConnection',
        metadata: { name: 'compass-connection' },
        spec: { managementInfo: { connectorUrl: 'https://c', directorUrl: 'https://d' } },
      })
    ).status,
    201,
  );
  t.equal(
    (
      await agent.call(
        'PATCH',
        `${CC}/compass-connection/status`,
        { status: { connectionState: 'Connected', connectionStatus: { certificateStatus: {} } } },
        { 'content-type': 'application/merge-patch+json' },
      )
    ).status,
    200,
    'the status subresource it is granted',
  );
  t.equal((await agent.call('GET', APPS)).status, 200);
  const last = sim.requestLog.at(-1)!;
  t.match(
    last,
    { verb: 'list', resource: 'applications', group: 'applicationconnector.kyma-project.io', status: 200, user: USER },
    'the log names the ServiceAccount user',
  );
  t.notOk('impersonator' in last);
});

t.test('a denied request is a 403 Status with the API server message, in each of its forms', async (t) => {
  sim.clearRequestLog();
  t.match(
    await agent.call('GET', '/api/v1/namespaces/default/secrets/x'),
    forbiddenStatus(`secrets "x" is forbidden: User "${USER}" cannot get resource "secrets" in API group "" in the namespace "default"`, {
      name: 'x',
      kind: 'secrets',
    }),
  );
  t.same((await agent.call('GET', '/api/v1/namespaces/default/secrets/x')).body.details, { name: 'x', kind: 'secrets' });
  t.match(
    await agent.call('GET', KYMA_SECRETS),
    forbiddenStatus(`secrets is forbidden: User "${USER}" cannot list resource "secrets" in API group "" in the namespace "kyma-system"`, {
      kind: 'secrets',
    }),
    'a collection: no name',
  );
  t.match(
    await agent.call('GET', `${KYMA_SECRETS}?fieldSelector=${encodeURIComponent('metadata.name=other')}`),
    forbiddenStatus(
      `secrets "other" is forbidden: User "${USER}" cannot list resource "secrets" in API group "" in the namespace "kyma-system"`,
      { name: 'other', kind: 'secrets' },
    ),
    'a list named by its field selector',
  );
  t.match(
    await agent.call('GET', `${KYMA_SECRETS}?watch=true`),
    forbiddenStatus(`secrets is forbidden: User "${USER}" cannot watch resource "secrets" in API group "" in the namespace "kyma-system"`, {
      kind: 'secrets',
    }),
  );
  t.match(
    await agent.call('DELETE', KYMA_SECRETS),
    forbiddenStatus(
      `secrets is forbidden: User "${USER}" cannot deletecollection resource "secrets" in API group "" in the namespace "kyma-system"`,
      { kind: 'secrets' },
    ),
  );
  t.match(
    await agent.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'cm' } }),
    forbiddenStatus(
      `configmaps is forbidden: User "${USER}" cannot create resource "configmaps" in API group "" in the namespace "default"`,
      { kind: 'configmaps' },
    ),
    'a create names nothing',
  );
  t.match(
    await agent.call('GET', '/api/v1/namespaces'),
    forbiddenStatus(`namespaces is forbidden: User "${USER}" cannot list resource "namespaces" in API group "" at the cluster scope`, {
      kind: 'namespaces',
    }),
    'the cluster scope',
  );
  t.match(
    await agent.call('GET', '/api/v1/namespaces/kyma-system'),
    forbiddenStatus(
      `namespaces "kyma-system" is forbidden: User "${USER}" cannot get resource "namespaces" in API group "" in the namespace "kyma-system"`,
      { name: 'kyma-system', kind: 'namespaces' },
    ),
    'a namespace is asked for in its own namespace',
  );
  t.match(
    await agent.call('PUT', `${APPS}/app-1/status`, {}),
    forbiddenStatus(
      `applications.applicationconnector.kyma-project.io "app-1" is forbidden: User "${USER}" cannot update resource "applications/status" in API group "applicationconnector.kyma-project.io" at the cluster scope`,
      { name: 'app-1', group: 'applicationconnector.kyma-project.io', kind: 'applications' },
    ),
    'a subresource in a named group',
  );
  t.match(
    await agent.call('GET', '/metrics'),
    forbiddenStatus(`forbidden: User "${USER}" cannot get path "/metrics"`, {}),
    'a non-resource path',
  );
  t.match(
    await agent.call('POST', '/version', {}),
    forbiddenStatus(`forbidden: User "${USER}" cannot post path "/version"`, {}),
    'the verb of a non-resource request is the method',
  );
  t.match(
    await agent.call('DELETE', `/apis/${RBAC}/v1/clusterroles/agent`),
    forbiddenStatus(
      `clusterroles.${RBAC} "agent" is forbidden: User "${USER}" cannot delete resource "clusterroles" in API group "${RBAC}" at the cluster scope`,
      { name: 'agent', group: RBAC, kind: 'clusterroles' },
    ),
  );
  const log = sim.requestLog.map((e) => `${e.verb} ${e.resource ?? e.path} ${e.status} ${e.user}`);
  t.same(
    log.slice(0, 3),
    [`get secrets 403 ${USER}`, `get secrets 403 ${USER}`, `list secrets 403 ${USER}`],
    'the log records each denial with verb, status and user',
  );
  t.match(
    sim.requestLog.find((e) => e.verb === 'deletecollection'),
    { resource: 'secrets', namespace: 'kyma-system', status: 403 },
  );
});

t.test('discovery, version, health and OpenAPI stay open to every authenticated user', async (t) => {
  for (const path of [
    '/api',
    '/api/v1',
    '/apis',
    '/apis/compass.kyma-project.io',
    '/apis/compass.kyma-project.io/v1alpha1',
    '/version',
    '/healthz',
    '/livez',
    '/readyz',
    '/openapi/v2',
  ]) {
    t.equal((await agent.call('GET', path)).status, 200, path);
  }
  const stranger = await simClient(sim, { token: sim.issueToken({ name: 'stranger' }) });
  t.equal((await stranger.call('GET', '/apis')).status, 200, 'system:discovery is bound to system:authenticated, which every user gets');
  t.equal((await stranger.call('GET', '/api/v1/namespaces/default/secrets')).status, 403);
});

t.test('authorization comes before routing, the request body and fault injection', async (t) => {
  t.match(
    await agent.call('GET', '/apis/nope.example.com/v1/things'),
    forbiddenStatus(
      `things.nope.example.com is forbidden: User "${USER}" cannot list resource "things" in API group "nope.example.com" at the cluster scope`,
      { group: 'nope.example.com', kind: 'things' },
    ),
    'a resource nobody serves is first a question of permission',
  );
  t.equal((await admin.call('GET', '/apis/nope.example.com/v1/things')).status, 404, '...and a 404 for whoever may ask');
  t.match(
    await agent.call('POST', '/api/v1/namespaces/default/secrets', '{not json'),
    { status: 403 },
    'the body is never read for a denied request',
  );
  t.match(
    await agent.call('PUT', '/api/v1/namespaces/default/secrets', {}),
    { status: 403, body: { message: /cannot update resource "secrets"/ } },
    'nor is the method checked against the route',
  );
  sim.faults.failNext({ verb: 'list', resource: 'secrets', status: 500 });
  t.equal((await agent.call('GET', KYMA_SECRETS)).status, 403, 'a fault rule does not apply to a denied request');
  t.equal(sim.faults.pendingFailures.length, 1, 'and stays pending');
  t.equal((await admin.call('GET', KYMA_SECRETS)).status, 500, 'the next allowed request takes it');
});

t.test('bindings take effect as they change; a binding to a missing role explains the denial', async (t) => {
  const path = '/api/v1/namespaces/default/configmaps';
  t.equal((await agent.call('GET', path)).status, 403);
  t.equal(
    (
      await admin.call('POST', `/apis/${RBAC}/v1/namespaces/default/rolebindings`, {
        metadata: { name: 'agent-reads-config' },
        roleRef: { apiGroup: RBAC, kind: 'Role', name: 'config-reader' },
        subjects: [{ kind: 'ServiceAccount', name: SA_NAME, namespace: 'kyma-system' }],
      })
    ).status,
    201,
  );
  t.match(
    await agent.call('GET', path),
    forbiddenStatus(
      `configmaps is forbidden: User "${USER}" cannot list resource "configmaps" in API group "" in the namespace "default": RBAC: role.${RBAC} "config-reader" not found`,
      { kind: 'configmaps' },
    ),
  );
  t.equal(
    (
      await admin.call('POST', `/apis/${RBAC}/v1/namespaces/default/roles`, {
        metadata: { name: 'config-reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['list'] }],
      })
    ).status,
    201,
  );
  t.equal((await agent.call('GET', path)).status, 200, 'allowed once the role exists');
  t.equal((await agent.call('GET', '/api/v1/namespaces/kyma-system/configmaps')).status, 403, "only in the binding's namespace");
  t.equal((await admin.call('DELETE', `/apis/${RBAC}/v1/namespaces/default/rolebindings/agent-reads-config`)).status, 200);
  t.equal((await agent.call('GET', path)).status, 403, 'denied again once the binding is gone');
});

t.test('system:masters may do anything, with or without the cluster-admin binding', async (t) => {
  const binding = (await admin.call('GET', `/apis/${RBAC}/v1/clusterrolebindings/cluster-admin`)).body;
  t.match(binding, { roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:masters' }] });
  t.equal((await admin.call('DELETE', `/apis/${RBAC}/v1/clusterrolebindings/cluster-admin`)).status, 200);
  t.equal((await admin.call('GET', '/api/v1/namespaces')).status, 200);
  t.equal((await admin.call('GET', '/metrics')).status, 404, 'authorized, then not found');
  const { metadata, ...rest } = binding;
  t.equal(
    (
      await admin.call('POST', `/apis/${RBAC}/v1/clusterrolebindings`, {
        ...rest,
        metadata: { name: metadata.name, labels: metadata.labels, annotations: metadata.annotations },
      })
    ).status,
    201,
  );
});

t.test('a fresh cluster has the bootstrap ClusterRoles and ClusterRoleBindings', async (t) => {
  const names = (list: { items: { metadata: { name: string } }[] }) => list.items.map((i) => i.metadata.name);
  const roles = (
    await admin.call(
      'GET',
      `/apis/${RBAC}/v1/clusterroles?labelSelector=${encodeURIComponent('kubernetes.io/bootstrapping=rbac-defaults')}`,
    )
  ).body;
  t.same(names(roles).sort(), ['cluster-admin', 'system:basic-user', 'system:discovery', 'system:public-info-viewer']);
  const bindings = (
    await admin.call(
      'GET',
      `/apis/${RBAC}/v1/clusterrolebindings?labelSelector=${encodeURIComponent('kubernetes.io/bootstrapping=rbac-defaults')}`,
    )
  ).body;
  const subjects = Object.fromEntries(bindings.items.map((b: any) => [b.metadata.name, b.subjects.map((s: any) => `${s.kind}:${s.name}`)]));
  t.same(subjects, {
    'cluster-admin': ['Group:system:masters'],
    'system:basic-user': ['Group:system:authenticated'],
    'system:discovery': ['Group:system:authenticated'],
    'system:public-info-viewer': ['Group:system:authenticated', 'Group:system:unauthenticated'],
  });
  t.match(
    roles.items.find((r: any) => r.metadata.name === 'system:discovery'),
    {
      metadata: { annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' } },
      rules: [
        {
          nonResourceURLs: [
            '/api',
            '/api/*',
            '/apis',
            '/apis/*',
            '/healthz',
            '/livez',
            '/openapi',
            '/openapi/*',
            '/readyz',
            '/version',
            '/version/',
          ],
          verbs: ['get'],
        },
      ],
    },
  );
});

t.test('escalation: outside system:masters, roles and bindings grant only what their author holds', async (t) => {
  const roles = `/apis/${RBAC}/v1/namespaces/kyma-system/roles`;
  const bindings = `/apis/${RBAC}/v1/namespaces/kyma-system/rolebindings`;
  const groups = '["system:serviceaccounts" "system:serviceaccounts:kyma-system" "system:authenticated"]';
  const notHeld = (resource: string, name: string, missing: string[]) => ({
    status: 403,
    body: {
      reason: 'Forbidden',
      details: { name, group: RBAC, kind: resource },
      message: `${resource}.${RBAC} "${name}" is forbidden: user "${USER}" (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${missing.join('\n')}`,
    },
  });
  await sim.create({
    apiVersion: `${RBAC}/v1`,
    kind: 'Role',
    metadata: { name: 'rbac-editor', namespace: 'kyma-system' },
    rules: [{ apiGroups: [RBAC], resources: ['roles', 'rolebindings'], verbs: ['create', 'update', 'patch', 'get'] }],
  });
  await sim.create({
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'rbac-editor', namespace: 'kyma-system' },
    roleRef: { apiGroup: RBAC, kind: 'Role', name: 'rbac-editor' },
    subjects: [{ kind: 'ServiceAccount', name: SA_NAME }],
  });

  t.equal(
    (
      await agent.call('POST', roles, {
        metadata: { name: 'held' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'patch'] }],
      })
    ).status,
    201,
    'a role within what the author holds',
  );
  t.match(
    await agent.call('POST', roles, {
      metadata: { name: 'too-much' },
      rules: [
        { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'deletecollection'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'] },
      ],
    }),
    notHeld('roles', 'too-much', [
      '{APIGroups:[""], Resources:["secrets"], Verbs:["list" "deletecollection"]}',
      '{APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}',
    ]),
  );
  t.match(
    await agent.call('POST', `${roles}?dryRun=All`, {
      metadata: { name: 'too-much' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }],
    }),
    { status: 403 },
    'dry runs too',
  );
  t.match(
    await agent.call('POST', roles, {
      metadata: { name: 'invalid-and-too-much' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }, { verbs: ['get'] }],
    }),
    { status: 403 },
    'before validation',
  );
  t.match(
    await agent.call(
      'PATCH',
      `${roles}/held`,
      [{ op: 'add', path: '/rules/-', value: { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] } }],
      { 'content-type': 'application/json-patch+json' },
    ),
    notHeld('roles', 'held', ['{APIGroups:[""], Resources:["configmaps"], Verbs:["get"]}']),
    'a patch is checked on the object it would produce',
  );
  t.equal(
    (
      await agent.call(
        'PATCH',
        `${roles}/held`,
        { metadata: { labels: { tier: 'x' } } },
        { 'content-type': 'application/merge-patch+json' },
      )
    ).status,
    200,
    'changing what it holds anyway is fine',
  );

  await sim.create({
    apiVersion: `${RBAC}/v1`,
    kind: 'Role',
    metadata: { name: 'foreign', namespace: 'kyma-system' },
    rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }],
  });
  t.equal(
    (
      await agent.call(
        'PATCH',
        `${roles}/foreign`,
        { metadata: { finalizers: ['example.com/keep'] } },
        { 'content-type': 'application/merge-patch+json' },
      )
    ).status,
    200,
    'a change of garbage-collection fields only is never an escalation',
  );
  t.match(
    await agent.call(
      'PATCH',
      `${roles}/foreign`,
      { metadata: { labels: { mine: 'now' } } },
      { 'content-type': 'application/merge-patch+json' },
    ),
    notHeld('roles', 'foreign', ['{APIGroups:[""], Resources:["pods"], Verbs:["list"]}']),
    'any other change of a role it could not create is',
  );
  await sim.create({
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'ghost', namespace: 'kyma-system' },
    roleRef: { apiGroup: RBAC, kind: 'Role', name: 'ghost' },
    subjects: [{ kind: 'ServiceAccount', name: SA_NAME }],
  });
  t.match(
    await agent.call('POST', roles, { metadata: { name: 'too-much' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] }),
    notHeld('roles', 'too-much', [
      `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}; resolution errors: [roles.${RBAC} "ghost" not found]`,
    ]),
    'rules it could not resolve are named',
  );
  await sim.delete(`${RBAC}/v1`, 'RoleBinding', 'ghost', 'kyma-system');

  t.equal(
    (
      await agent.call('POST', bindings, {
        metadata: { name: 'held' },
        roleRef: { apiGroup: RBAC, kind: 'Role', name: 'held' },
        subjects: [{ kind: 'User', name: 'bob' }],
      })
    ).status,
    201,
    'binding a role whose rules it holds',
  );
  t.match(
    await agent.call('POST', bindings, {
      metadata: { name: 'admin' },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'User', name: 'bob' }],
    }),
    notHeld('rolebindings', 'admin', ['{APIGroups:["*"], Resources:["*"], Verbs:["*"]}', '{NonResourceURLs:["*"], Verbs:["*"]}']),
  );
  t.match(
    await agent.call('POST', bindings, {
      metadata: { name: 'dangling' },
      roleRef: { apiGroup: RBAC, kind: 'Role', name: 'missing' },
      subjects: [{ kind: 'User', name: 'bob' }],
    }),
    { status: 404, body: { reason: 'NotFound', message: `roles.${RBAC} "missing" not found` } },
    'a binding to a role that does not exist, from someone who may not bind it',
  );

  await sim.create({
    apiVersion: `${RBAC}/v1`,
    kind: 'Role',
    metadata: { name: 'escalator', namespace: 'kyma-system' },
    rules: [
      { apiGroups: [RBAC], resources: ['roles'], verbs: ['escalate'] },
      { apiGroups: [RBAC], resources: ['clusterroles'], resourceNames: ['cluster-admin'], verbs: ['bind'] },
    ],
  });
  await sim.create({
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'escalator', namespace: 'kyma-system' },
    roleRef: { apiGroup: RBAC, kind: 'Role', name: 'escalator' },
    subjects: [{ kind: 'ServiceAccount', name: SA_NAME }],
  });
  t.equal(
    (
      await agent.call('POST', roles, {
        metadata: { name: 'too-much' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }],
      })
    ).status,
    201,
    'the escalate verb lifts the check for roles',
  );
  t.equal(
    (
      await agent.call('POST', bindings, {
        metadata: { name: 'admin' },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'User', name: 'bob' }],
      })
    ).status,
    201,
    'the bind verb, for that role, lifts it for bindings',
  );
  t.equal(
    (
      await admin.call('POST', `/apis/${RBAC}/v1/clusterroles`, {
        metadata: { name: 'anything' },
        rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      })
    ).status,
    201,
    'system:masters may grant anything',
  );
});
