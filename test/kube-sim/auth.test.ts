// Authentication over real HTTPS: ServiceAccount tokens (minted by the simulator or by TokenRequest)
// and their lifetime, system:authenticated for everyone, impersonation, and the access reviews
// (SelfSubjectAccessReview, SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectRulesReview,
// SelfSubjectReview) that `kubectl auth` builds on.
import t from 'tap';
import { request as httpsRequest } from 'node:https';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';
import { simClient, type SimClient } from './https-client.js';

const RBAC = 'rbac.authorization.k8s.io';
const AUTHZ = '/apis/authorization.k8s.io/v1';
const WHOAMI = '/apis/authentication.k8s.io/v1/selfsubjectreviews';
const SA_USER = 'system:serviceaccount:kyma-system:agent';
const SA_GROUPS = ['system:serviceaccounts', 'system:serviceaccounts:kyma-system', 'system:authenticated'];

let sim: KubeSim;
let admin: SimClient;

t.before(async () => {
  sim = await startKubeSim({ namespaces: ['default', 'kyma-system'] });
  admin = await simClient(sim);
  await sim.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'agent', namespace: 'kyma-system' } });
  await sim.create({
    apiVersion: `${RBAC}/v1`,
    kind: 'Role',
    metadata: { name: 'secrets', namespace: 'kyma-system' },
    rules: [
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['cfg'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps/status'], verbs: ['patch'] },
    ],
  });
  await sim.create({
    apiVersion: `${RBAC}/v1`,
    kind: 'RoleBinding',
    metadata: { name: 'agent', namespace: 'kyma-system' },
    roleRef: { apiGroup: RBAC, kind: 'Role', name: 'secrets' },
    subjects: [{ kind: 'ServiceAccount', name: 'agent' }],
  });
});
t.teardown(() => sim.close());

const whoami = async (client: SimClient, headers: Record<string, string> = {}) => {
  const reply = await client.call('POST', WHOAMI, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, headers);
  return reply.status === 201 ? reply.body.status.userInfo : reply;
};

t.test('a ServiceAccount token authenticates as system:serviceaccount:NS:NAME with the ServiceAccount groups', async (t) => {
  const token = sim.serviceAccountToken('kyma-system', 'agent');
  t.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
  const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  const uid = sim.get('v1', 'ServiceAccount', 'agent', 'kyma-system')!.metadata.uid;
  t.match(claims, {
    sub: SA_USER,
    aud: ['https://kubernetes.default.svc.cluster.local'],
    'kubernetes.io': { namespace: 'kyma-system', serviceaccount: { name: 'agent', uid } },
  });
  t.equal(claims.exp - claims.iat, 3600, 'an hour by default');
  const client = await simClient(sim, { token });
  const user = await whoami(client);
  t.match(user, {
    username: SA_USER,
    uid,
    groups: SA_GROUPS,
    extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] },
  });
  sim.clearRequestLog();
  t.equal((await client.call('GET', '/api/v1/namespaces/kyma-system/secrets/cfg')).status, 404, 'authorized by the RoleBinding');
  t.match(sim.requestLog, [{ verb: 'get', name: 'cfg', status: 404, user: SA_USER }]);
});

t.test('every authenticated user gets system:authenticated: certificates, static tokens, ServiceAccounts', async (t) => {
  t.same(await whoami(admin), { username: 'admin', groups: ['system:masters', 'system:authenticated'] });
  t.same(await whoami(await simClient(sim, { token: sim.bearerToken })), {
    username: 'admin',
    groups: ['system:masters', 'system:authenticated'],
  });
  t.same(await whoami(await simClient(sim, { token: sim.issueToken({ name: 'bob' }) })), {
    username: 'bob',
    groups: ['system:authenticated'],
  });
  t.same(
    await whoami(await simClient(sim, { token: sim.issueToken({ name: 'bob', groups: ['system:authenticated', 'devs'] }) })),
    { username: 'bob', groups: ['system:authenticated', 'devs'] },
    'not twice',
  );
});

t.test('what does not authenticate is a 401 Status', async (t) => {
  const unauthorized = {
    status: 401,
    body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 },
  };
  t.match(await (await simClient(sim, 'none')).call('GET', '/api'), unauthorized, 'no credentials (anonymous requests are off)');
  t.match(await (await simClient(sim, { token: 'nope' })).call('GET', '/api'), unauthorized, 'an unknown token');
  const token = sim.serviceAccountToken('kyma-system', 'agent');
  const [h, p, s] = token.split('.');
  const forged = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'system:serviceaccount:kube-system:admin' }),
  ).toString('base64url');
  t.match(
    await (await simClient(sim, { token: `${h}.${forged}.${s}` })).call('GET', '/api'),
    unauthorized,
    'a token whose claims were changed',
  );
  const none = await simClient(sim, 'none');
  t.match(
    await none.call('GET', '/api', undefined, { authorization: `Basic ${Buffer.from('admin:x').toString('base64')}` }),
    unauthorized,
    'not a bearer token',
  );
  t.equal((await none.call('GET', '/api', undefined, { authorization: `bearer ${token}` })).status, 200, 'the scheme in any case');
  t.match(sim.requestLog.at(-2), { status: 401, user: 'system:anonymous' });
});

t.test('a ServiceAccount token stops authenticating when its ServiceAccount is deleted, even if it is re-created', async (t) => {
  await sim.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'short-lived', namespace: 'default' } });
  const client = await simClient(sim, { token: sim.serviceAccountToken('default', 'short-lived') });
  t.equal((await client.call('GET', '/api')).status, 200);
  await sim.delete('v1', 'ServiceAccount', 'short-lived', 'default');
  t.equal((await client.call('GET', '/api')).status, 401, 'deleted: refused');
  await sim.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'short-lived', namespace: 'default' } });
  t.equal((await client.call('GET', '/api')).status, 401, 're-created with another UID: still refused');
  t.equal(
    (await (await simClient(sim, { token: sim.serviceAccountToken('default', 'short-lived') })).call('GET', '/api')).status,
    200,
    'a new token works',
  );
  t.throws(() => sim.serviceAccountToken('default', 'nobody'), {
    name: 'KubeStatusError',
    code: 404,
    message: 'serviceaccounts "nobody" not found',
  });
});

t.test('an expired ServiceAccount token is refused', async (t) => {
  const client = await simClient(sim, { token: sim.serviceAccountToken('kyma-system', 'agent', { expirationSeconds: 1 }) });
  // exp is whole seconds after the issue second: wait until it has certainly passed
  await new Promise((resolve) => setTimeout(resolve, 2100));
  t.equal((await client.call('GET', '/api')).status, 401);
});

t.test('TokenRequest: POST serviceaccounts/NAME/token mints a token, as kubectl create token does', async (t) => {
  const path = '/api/v1/namespaces/kyma-system/serviceaccounts/agent/token';
  const reply = await admin.call('POST', path, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  t.equal(reply.status, 201);
  t.match(reply.body, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: 'agent', namespace: 'kyma-system', creationTimestamp: /Z$/ },
    spec: { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 3600, boundObjectRef: null },
    status: { token: /^[\w-]+\.[\w-]+\.[\w-]+$/, expirationTimestamp: /Z$/ },
  });
  t.equal(Date.parse(reply.body.status.expirationTimestamp) - Date.parse(reply.body.metadata.creationTimestamp), 3600_000);
  t.match(await whoami(await simClient(sim, { token: reply.body.status.token })), { username: SA_USER, groups: SA_GROUPS });
  t.match(
    sim.requestLog.find((e) => e.path === path),
    {
      verb: 'create',
      resource: 'serviceaccounts',
      subresource: 'token',
      name: 'agent',
      namespace: 'kyma-system',
      status: 201,
      user: 'admin',
    },
  );

  t.match(await admin.call('POST', '/api/v1/namespaces/kyma-system/serviceaccounts/nobody/token', { spec: {} }), {
    status: 404,
    body: { reason: 'NotFound', message: 'serviceaccounts "nobody" not found', details: { name: 'nobody', kind: 'serviceaccounts' } },
  });
  t.match(await admin.call('POST', path, { spec: { expirationSeconds: 60 } }), {
    status: 422,
    body: {
      reason: 'Invalid',
      message:
        'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    },
  });
  t.match(await admin.call('POST', path, { metadata: { name: 'other' }, spec: {} }), {
    status: 422,
    body: {
      message:
        'TokenRequest.authentication.k8s.io "agent" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified',
    },
  });
  t.match(await admin.call('POST', path, { kind: 'Secret', spec: {} }), { status: 400 });
  t.match(await admin.call('GET', path), { status: 405, body: { reason: 'MethodNotAllowed' } }, 'create only');

  const other = await admin.call('POST', path, { spec: { audiences: ['https://vault.example.com'], expirationSeconds: 600 } });
  t.same(other.body.spec.audiences, ['https://vault.example.com']);
  t.equal(
    (await (await simClient(sim, { token: other.body.status.token })).call('GET', '/api')).status,
    401,
    'a token for another audience does not authenticate here',
  );

  await sim.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'binder', namespace: 'kyma-system' } });
  const bound = await admin.call('POST', path, { spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: 'binder' } } });
  t.equal(bound.status, 201);
  const boundClient = await simClient(sim, { token: bound.body.status.token });
  t.equal((await boundClient.call('GET', '/api')).status, 200);
  await sim.delete('v1', 'Secret', 'binder', 'kyma-system');
  t.equal((await boundClient.call('GET', '/api')).status, 401, 'a token bound to a Secret goes with it');
  t.match(await admin.call('POST', path, { spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p' } } }), {
    status: 404,
    body: { message: 'pods "p" not found' },
  });
  t.match(await admin.call('POST', path, { spec: { boundObjectRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'c' } } }), {
    status: 400,
    body: { message: 'cannot bind token to object of type /v1, Kind=ConfigMap' },
  });

  const agent = await simClient(sim, { token: sim.serviceAccountToken('kyma-system', 'agent') });
  t.match(
    await agent.call('POST', path, { spec: {} }),
    {
      status: 403,
      body: {
        message: `serviceaccounts "agent" is forbidden: User "${SA_USER}" cannot create resource "serviceaccounts/token" in API group "" in the namespace "kyma-system"`,
        details: { name: 'agent', kind: 'serviceaccounts' },
      },
    },
    'minting needs create on serviceaccounts/token',
  );
});

t.test('impersonation: only with the impersonate verb; a ServiceAccount username brings its groups', async (t) => {
  const as = (user: string, extra: Record<string, string> = {}) => ({ 'Impersonate-User': user, ...extra });
  sim.clearRequestLog();
  t.same(
    await whoami(admin, as(SA_USER)),
    { username: SA_USER, groups: SA_GROUPS },
    'system:masters may impersonate; the ServiceAccount groups come along',
  );
  t.match(sim.requestLog.at(-1), { user: SA_USER, impersonator: 'admin', status: 201 }, 'the log names both');
  t.match(
    await admin.call('GET', '/api/v1/namespaces/default/secrets', undefined, as(SA_USER)),
    {
      status: 403,
      body: {
        message: `secrets is forbidden: User "${SA_USER}" cannot list resource "secrets" in API group "" in the namespace "default"`,
      },
    },
    'the request then runs as the ServiceAccount',
  );
  t.same(await whoami(admin, as('bob')), { username: 'bob', groups: ['system:authenticated'] });
  t.same(
    await whoami(admin, { ...as(SA_USER), 'Impersonate-Group': 'devs' }),
    { username: SA_USER, groups: ['devs', 'system:authenticated'] },
    'given groups replace the ServiceAccount ones',
  );
  t.same(await whoami(admin, { ...as('bob'), 'Impersonate-Uid': 'u-1' }), {
    username: 'bob',
    uid: 'u-1',
    groups: ['system:authenticated'],
  });
  t.same(await whoami(admin, { ...as('bob'), 'Impersonate-Extra-Scopes': 'view' }), {
    username: 'bob',
    groups: ['system:authenticated'],
    extra: { scopes: ['view'] },
  });
  t.match(
    await whoami(admin, as('system:anonymous')),
    {
      status: 403,
      body: {
        message:
          'selfsubjectreviews.authentication.k8s.io is forbidden: User "system:anonymous" cannot create resource "selfsubjectreviews" in API group "authentication.k8s.io" at the cluster scope',
      },
    },
    'system:anonymous is system:unauthenticated, which system:basic-user is not bound to',
  );
  t.equal((await admin.call('GET', '/version', undefined, as('system:anonymous'))).status, 200, '...but system:public-info-viewer is');

  const agent = await simClient(sim, { token: sim.serviceAccountToken('kyma-system', 'agent') });
  t.match(await agent.call('GET', '/api', undefined, as('system:serviceaccount:kube-system:default')), {
    status: 403,
    body: {
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      details: { name: 'default', kind: 'serviceaccounts' },
      message: `serviceaccounts "default" is forbidden: User "${SA_USER}" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "kube-system"`,
    },
  });
  t.match(sim.requestLog.at(-1), { status: 403, user: SA_USER }, 'a refused impersonation is logged as the requestor');
  t.match(await agent.call('GET', '/api', undefined, as('bob')), {
    status: 403,
    body: {
      message: `users "bob" is forbidden: User "${SA_USER}" cannot impersonate resource "users" in API group "" at the cluster scope`,
    },
  });
  await sim.create({
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRole',
    metadata: { name: 'impersonate-bob' },
    rules: [{ apiGroups: [''], resources: ['users'], resourceNames: ['bob'], verbs: ['impersonate'] }],
  });
  await sim.create({
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: 'agent-as-bob' },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'impersonate-bob' },
    subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: 'kyma-system' }],
  });
  t.same(await whoami(agent, as('bob')), { username: 'bob', groups: ['system:authenticated'] }, 'granted by RBAC for that name');
  t.match(
    await agent.call('GET', '/api', undefined, { ...as('bob'), 'Impersonate-Group': 'system:masters' }),
    {
      status: 403,
      body: {
        message: `groups "system:masters" is forbidden: User "${SA_USER}" cannot impersonate resource "groups" in API group "" at the cluster scope`,
      },
    },
    'each group needs its own grant',
  );
  t.match(await agent.call('GET', '/api', undefined, { ...as('bob'), 'Impersonate-Uid': 'u' }), {
    status: 403,
    body: {
      message: `uids.authentication.k8s.io "u" is forbidden: User "${SA_USER}" cannot impersonate resource "uids" in API group "authentication.k8s.io" at the cluster scope`,
    },
  });

  const groupsOnly = await admin.call('GET', '/api', undefined, { 'Impersonate-Group': 'devs' });
  t.equal(groupsOnly.status, 500, 'groups without a user: an internal error, as in impersonation.go');
  t.equal(groupsOnly.headers['content-type'], 'text/plain; charset=utf-8');
  t.equal(groupsOnly.body, 'Internal Server Error: "/api": requested [{Group  devs    }] without impersonating a user\n');
});

t.test('SelfSubjectAccessReview answers for the requesting user, subresources and names included', async (t) => {
  const agent = await simClient(sim, { token: sim.serviceAccountToken('kyma-system', 'agent') });
  const ask = async (spec: unknown, client = agent) =>
    (
      await client.call('POST', `${AUTHZ}/selfsubjectaccessreviews`, {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec,
      })
    ).body;
  const allowed = await ask({ resourceAttributes: { verb: 'get', resource: 'secrets', namespace: 'kyma-system' } });
  t.same(allowed, {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { resourceAttributes: { namespace: 'kyma-system', verb: 'get', resource: 'secrets' } },
    status: {
      allowed: true,
      reason: 'RBAC: allowed by RoleBinding "agent/kyma-system" of Role "secrets" to ServiceAccount "agent/kyma-system"',
    },
  });
  t.same((await ask({ resourceAttributes: { verb: 'list', resource: 'secrets', namespace: 'kyma-system' } })).status, { allowed: false });
  t.same(
    (await ask({ resourceAttributes: { verb: 'list', resource: 'secrets', namespace: 'kyma-system', name: 'cfg' } })).status.allowed,
    true,
    'by name',
  );
  t.same((await ask({ resourceAttributes: { verb: 'get', resource: 'secrets', namespace: 'default' } })).status.allowed, false);
  t.same(
    (await ask({ resourceAttributes: { verb: 'patch', resource: 'configmaps', subresource: 'status', namespace: 'kyma-system' } })).status
      .allowed,
    true,
    'a subresource',
  );
  t.same((await ask({ resourceAttributes: { verb: 'patch', resource: 'configmaps', namespace: 'kyma-system' } })).status.allowed, false);
  t.same(
    (await ask({ nonResourceAttributes: { verb: 'get', path: '/version' } })).status,
    {
      allowed: true,
      reason: 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"',
    },
    'the first binding in name order that allows it',
  );
  t.same((await ask({ nonResourceAttributes: { verb: 'get', path: '/metrics' } })).status, { allowed: false });
  t.same(
    (await ask({ resourceAttributes: { verb: 'delete', resource: 'nodes' } }, admin)).status,
    { allowed: true },
    'system:masters: allowed without an RBAC reason',
  );
  t.same((await ask({ resourceAttributes: { verb: 'get', resource: 'secrets', namespace: 'default' } }, admin)).status.allowed, true);

  const invalid = await agent.call('POST', `${AUTHZ}/selfsubjectaccessreviews`, { spec: {} });
  t.match(invalid, {
    status: 422,
    body: {
      reason: 'Invalid',
      message:
        'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    },
  });
  t.match(
    await agent.call('POST', `${AUTHZ}/selfsubjectaccessreviews`, {
      spec: { resourceAttributes: { verb: 'get' }, nonResourceAttributes: { verb: 'get', path: '/x' } },
    }),
    {
      status: 422,
      body: {
        message:
          'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/x", Verb:"get"}: cannot be specified in combination with resourceAttributes',
      },
    },
  );
  t.match(
    await agent.call('GET', `${AUTHZ}/selfsubjectaccessreviews`),
    { status: 403, body: { message: /cannot list resource "selfsubjectaccessreviews"/ } },
    'authorized first, like any request',
  );
  t.match(
    await admin.call('GET', `${AUTHZ}/selfsubjectaccessreviews`),
    { status: 405, body: { reason: 'MethodNotAllowed' } },
    'create only, never stored',
  );
  t.equal((await admin.call('POST', `${AUTHZ}/selfsubjectaccessreviews/x`, {})).status, 404);
  t.match(await agent.call('POST', `${AUTHZ}/selfsubjectaccessreviews`, 'x: [', { 'content-type': 'application/yaml' }), { status: 400 });
  t.match(await agent.call('POST', `${AUTHZ}/selfsubjectaccessreviews`, 'x', { 'content-type': 'text/plain' }), { status: 415 });
});

t.test('SubjectAccessReview and LocalSubjectAccessReview ask about another user and need their own grant', async (t) => {
  const spec = { user: SA_USER, groups: SA_GROUPS, resourceAttributes: { verb: 'get', resource: 'secrets', namespace: 'kyma-system' } };
  const sar = await admin.call('POST', `${AUTHZ}/subjectaccessreviews`, {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec,
  });
  t.equal(sar.status, 201);
  t.match(sar.body, { kind: 'SubjectAccessReview', spec: { user: SA_USER, groups: SA_GROUPS }, status: { allowed: true } });
  const noGroups = await admin.call('POST', `${AUTHZ}/subjectaccessreviews`, {
    spec: { user: SA_USER, nonResourceAttributes: { verb: 'get', path: '/version' } },
  });
  t.same(noGroups.body.status, { allowed: false }, 'only the groups given count: without system:authenticated, /version is not granted');
  t.match(await admin.call('POST', `${AUTHZ}/subjectaccessreviews`, { spec: { resourceAttributes: { verb: 'get' } } }), {
    status: 422,
    body: {
      message:
        'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
    },
  });
  const agent = await simClient(sim, { token: sim.serviceAccountToken('kyma-system', 'agent') });
  t.match(await agent.call('POST', `${AUTHZ}/subjectaccessreviews`, { spec }), {
    status: 403,
    body: {
      message: `subjectaccessreviews.authorization.k8s.io is forbidden: User "${SA_USER}" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope`,
    },
  });

  const local = `${AUTHZ}/namespaces/kyma-system/localsubjectaccessreviews`;
  const lsar = await admin.call('POST', local, { metadata: { namespace: 'kyma-system' }, spec });
  t.match(lsar, {
    status: 201,
    body: { kind: 'LocalSubjectAccessReview', metadata: { namespace: 'kyma-system' }, status: { allowed: true } },
  });
  t.match(
    await admin.call('POST', local, {
      metadata: { namespace: 'kyma-system' },
      spec: { ...spec, resourceAttributes: { ...spec.resourceAttributes, namespace: 'default' } },
    }),
    {
      status: 422,
      body: {
        message:
          'LocalSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes.namespace: Invalid value: "default": must match metadata.namespace',
      },
    },
  );
  t.match(
    await admin.call('POST', local, {
      metadata: { namespace: 'default' },
      spec: { ...spec, resourceAttributes: { ...spec.resourceAttributes, namespace: 'default' } },
    }),
    { status: 400, body: { reason: 'BadRequest', message: 'spec.resourceAttributes.namespace must match namespace: kyma-system' } },
  );
  t.equal((await admin.call('POST', `${AUTHZ}/localsubjectaccessreviews`, { spec })).status, 404, 'served in a namespace only');
});

t.test('SelfSubjectRulesReview lists the rules that apply in a namespace', async (t) => {
  const agent = await simClient(sim, { token: sim.serviceAccountToken('kyma-system', 'agent') });
  const review = await agent.call('POST', `${AUTHZ}/selfsubjectrulesreviews`, { spec: { namespace: 'kyma-system' } });
  t.equal(review.status, 201);
  t.match(review.body, { kind: 'SelfSubjectRulesReview', status: { incomplete: false } });
  t.notOk('evaluationError' in review.body.status);
  const rules = review.body.status.resourceRules;
  t.ok(rules.some((r: any) => r.resources.includes('secrets') && r.resourceNames?.includes('cfg') && r.verbs.includes('watch')));
  t.ok(
    rules.some((r: any) => r.resources.includes('selfsubjectaccessreviews')),
    'system:basic-user',
  );
  t.ok(
    review.body.status.nonResourceRules.some((r: any) => r.nonResourceURLs.includes('/apis/*')),
    'system:discovery',
  );
  const elsewhere = await agent.call('POST', `${AUTHZ}/selfsubjectrulesreviews`, { spec: { namespace: 'default' } });
  t.notOk(
    elsewhere.body.status.resourceRules.some((r: any) => r.resources.includes('secrets')),
    'the RoleBinding is not in default',
  );
  t.match(await agent.call('POST', `${AUTHZ}/selfsubjectrulesreviews`, { spec: {} }), {
    status: 400,
    body: { message: 'no namespace on request' },
  });
});

t.test('discovery lists the review and token endpoints as create-only', async (t) => {
  const groups = (await admin.call('GET', '/apis')).body.groups.map((g: { name: string }) => g.name);
  t.ok(groups.includes('authorization.k8s.io') && groups.includes('authentication.k8s.io'));
  t.match((await admin.call('GET', '/apis/authorization.k8s.io')).body, {
    kind: 'APIGroup',
    name: 'authorization.k8s.io',
    preferredVersion: { version: 'v1' },
  });
  const authz = (await admin.call('GET', AUTHZ)).body.resources;
  t.same(authz.map((r: { name: string }) => r.name).sort(), [
    'localsubjectaccessreviews',
    'selfsubjectaccessreviews',
    'selfsubjectrulesreviews',
    'subjectaccessreviews',
  ]);
  t.ok(authz.every((r: { verbs: string[] }) => r.verbs.join() === 'create'));
  t.match(
    authz.find((r: { name: string }) => r.name === 'localsubjectaccessreviews'),
    { namespaced: true, kind: 'LocalSubjectAccessReview' },
  );
  t.match((await admin.call('GET', '/apis/authentication.k8s.io/v1')).body.resources, [
    { name: 'selfsubjectreviews', kind: 'SelfSubjectReview', verbs: ['create'] },
  ]);
  t.match(
    (await admin.call('GET', '/api/v1')).body.resources.find((r: { name: string }) => r.name === 'serviceaccounts/token'),
    { namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] },
  );
  t.equal((await admin.call('GET', '/apis/authorization.k8s.io/v1beta1')).status, 404);
});

t.test('reviews and TokenRequests are read from Kubernetes protobuf, as client-go sends them', async (t) => {
  // protobuf wire format: field key (number << 3 | wire type), then a varint or a length-delimited value
  const varint = (n: number) => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return Buffer.from(out);
  };
  const bytes = (field: number, value: Buffer) => Buffer.concat([varint((field << 3) | 2), varint(value.length), value]);
  const str = (field: number, value: string) => bytes(field, Buffer.from(value));
  const int = (field: number, value: number) => Buffer.concat([varint(field << 3), varint(value)]);
  const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
    Buffer.concat([
      Buffer.from('k8s\0', 'binary'),
      bytes(1, Buffer.concat([str(1, apiVersion), str(2, kind)])),
      bytes(2, raw),
      str(3, ''),
      str(4, ''),
    ]);
  const agentToken = sim.serviceAccountToken('kyma-system', 'agent');
  const agent = await simClient(sim, { token: agentToken });
  /** POSTs the bytes as client-go does: protobuf in, protobuf or JSON accepted back. */
  const raw = (path: string, body: Buffer, client: SimClient) => {
    const url = new URL(sim.url);
    const headers: Record<string, string> = {
      'content-type': 'application/vnd.kubernetes.protobuf',
      accept: 'application/vnd.kubernetes.protobuf,application/json',
      'content-length': String(body.length),
    };
    if (client === agent) headers.authorization = `Bearer ${agentToken}`;
    return new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = httpsRequest({ host: url.hostname, port: url.port, path, method: 'POST', agent: client.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  };
  const meta = bytes(1, Buffer.concat([str(1, ''), str(3, ''), int(7, 0), bytes(8, Buffer.alloc(0))]));
  const attributes = Buffer.concat([
    str(1, 'kyma-system'),
    str(2, 'list'),
    str(3, ''),
    str(4, ''),
    str(5, 'secrets'),
    str(6, ''),
    str(7, 'cfg'),
  ]);
  const ssar = envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', Buffer.concat([meta, bytes(2, bytes(1, attributes))]));
  const answer = await raw(`${AUTHZ}/selfsubjectaccessreviews`, ssar, agent);
  t.equal(answer.status, 201);
  t.match(
    answer.body,
    {
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'kyma-system', verb: 'list', resource: 'secrets', name: 'cfg' } },
      status: { allowed: true },
    },
    'answered in JSON, which the client accepts too',
  );

  const sarSpec = Buffer.concat([
    bytes(2, Buffer.concat([str(1, '/version'), str(2, 'get')])),
    str(3, 'bob'),
    str(4, 'system:authenticated'),
    str(4, 'devs'),
    bytes(5, Buffer.concat([str(1, 'scopes'), bytes(2, str(1, 'view'))])),
    str(6, 'u-1'),
  ]);
  const sar = await raw(
    `${AUTHZ}/subjectaccessreviews`,
    envelope('authorization.k8s.io/v1', 'SubjectAccessReview', Buffer.concat([meta, bytes(2, sarSpec)])),
    admin,
  );
  t.match(sar, {
    status: 201,
    body: {
      spec: {
        user: 'bob',
        groups: ['system:authenticated', 'devs'],
        extra: { scopes: ['view'] },
        uid: 'u-1',
        nonResourceAttributes: { path: '/version', verb: 'get' },
      },
      status: { allowed: true },
    },
  });

  const rules = await raw(
    `${AUTHZ}/selfsubjectrulesreviews`,
    envelope('authorization.k8s.io/v1', 'SelfSubjectRulesReview', Buffer.concat([meta, bytes(2, str(1, 'kyma-system'))])),
    agent,
  );
  t.match(rules, { status: 201, body: { status: { incomplete: false } } });

  const tokenSpec = Buffer.concat([str(1, 'https://kubernetes.default.svc.cluster.local'), int(4, 1200)]);
  const token = await raw(
    '/api/v1/namespaces/kyma-system/serviceaccounts/agent/token',
    envelope('authentication.k8s.io/v1', 'TokenRequest', Buffer.concat([meta, bytes(2, tokenSpec)])),
    admin,
  );
  t.match(token, { status: 201, body: { spec: { expirationSeconds: 1200, audiences: ['https://kubernetes.default.svc.cluster.local'] } } });
  t.match(
    await whoami(await simClient(sim, { token: token.body.status.token })),
    { username: SA_USER, groups: SA_GROUPS },
    'the token works',
  );

  t.match(await raw(`${AUTHZ}/selfsubjectaccessreviews`, Buffer.from('not protobuf'), admin), {
    status: 400,
    body: { message: /magic prefix/ },
  });
  t.match(
    await raw(`${AUTHZ}/selfsubjectaccessreviews`, Buffer.concat([Buffer.from('k8s\0', 'binary'), Buffer.from([0x12, 0x05, 0x01])]), admin),
    { status: 400, body: { message: /unable to decode the protobuf body: truncated field/ } },
  );
  t.match(
    await raw(
      `${AUTHZ}/selfsubjectaccessreviews`,
      envelope('authorization.k8s.io/v1', 'SubjectAccessReview', Buffer.concat([meta, bytes(2, bytes(1, attributes))])),
      admin,
    ),
    {
      status: 400,
      body: { message: 'the kind in the body (SubjectAccessReview) does not match the kind of the resource (SelfSubjectAccessReview)' },
    },
  );
});

t.test('the control endpoint mints ServiceAccount tokens for tools outside the process', async (t) => {
  const control = async (body: unknown) => {
    const res = await fetch(`${sim.controlUrl}/serviceaccounts/token`, { method: 'POST', body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  const minted = await control({ namespace: 'kyma-system', name: 'agent', expirationSeconds: 900 });
  t.equal(minted.status, 200);
  const claims = JSON.parse(Buffer.from(minted.body.token.split('.')[1], 'base64url').toString());
  t.equal(claims.exp - claims.iat, 900);
  t.match(await whoami(await simClient(sim, { token: minted.body.token })), { username: SA_USER });
  t.match(await control({ namespace: 'kyma-system', name: 'nobody' }), {
    status: 404,
    body: { error: 'serviceaccounts "nobody" not found' },
  });
  t.match(await control({ namespace: 'kyma-system' }), { status: 400, body: { error: /namespace and name/ } });
  t.match(await control({ namespace: 'kyma-system', name: 'agent', expirationSeconds: 'long' }), {
    status: 400,
    body: { error: /expirationSeconds must be a positive integer/ },
  });
});
