// The pure parts of authorization, without a server: how a request becomes attributes (requestinfo.go),
// how a PolicyRule matches them (rbac.go RuleAllows), the Forbidden message forms (responsewriters/errors.go)
// and the RBAC authorizer over a bare store (bindings indexed by subject, refreshed on change).
import t from 'tap';
import { KubeStore } from '../../sim/kube/store.js';
import { requestInfo, parseFieldSelectorTerms, type RequestAttributes } from '../../sim/kube/auth/request-attributes.js';
import { policyRule, ruleAllows, type PolicyRule } from '../../sim/kube/auth/rbac-rules.js';
import { forbidden, forbiddenMessage } from '../../sim/kube/auth/forbidden.js';
import { RbacAuthorizer } from '../../sim/kube/auth/rbac-authorizer.js';
import { aggregate, goQuote } from '../../sim/kube/go-format.js';
import { serviceAccountUser, splitServiceAccountUsername, withAuthenticatedGroup } from '../../sim/kube/auth/user.js';

const info = (method: string, path: string) => requestInfo(method, new URL(path, 'https://sim'));
const SA = serviceAccountUser('kyma-system', 'agent');
const attrs = (partial: Partial<RequestAttributes>): RequestAttributes => ({
  user: SA,
  verb: 'get',
  resourceRequest: true,
  path: '',
  apiGroup: '',
  apiVersion: 'v1',
  namespace: '',
  resource: '',
  subresource: '',
  name: '',
  ...partial,
});
const rule = (r: Partial<PolicyRule>): PolicyRule => policyRule(r);

t.test('requestInfo: verbs from method, collection and watch; namespaces, subresources and names from the path', async (t) => {
  t.match(info('GET', '/api/v1/namespaces/ns/secrets/x'), {
    resourceRequest: true,
    verb: 'get',
    apiGroup: '',
    apiVersion: 'v1',
    namespace: 'ns',
    resource: 'secrets',
    name: 'x',
    subresource: '',
  });
  t.match(info('GET', '/api/v1/namespaces/ns/secrets'), { verb: 'list', name: '' });
  t.match(info('GET', '/api/v1/namespaces/ns/secrets?watch=true'), { verb: 'watch' });
  t.match(info('GET', '/api/v1/namespaces/ns/secrets?watch=1'), { verb: 'watch' });
  t.match(info('GET', '/api/v1/namespaces/ns/secrets?watch='), { verb: 'watch' }, 'any value but 0 and false is true, the empty one too');
  t.match(info('GET', '/api/v1/namespaces/ns/secrets?watch=False'), { verb: 'list' });
  t.match(info('GET', '/api/v1/namespaces/ns/secrets?watch=0'), { verb: 'list' });
  t.match(info('HEAD', '/api/v1/namespaces/ns/secrets/x'), { verb: 'get' });
  t.match(info('POST', '/api/v1/namespaces/ns/secrets'), { verb: 'create', name: '' }, 'a create names nothing: the name is in the body');
  t.match(info('PUT', '/api/v1/namespaces/ns/secrets/x'), { verb: 'update', name: 'x' });
  t.match(info('PATCH', '/apis/compass.kyma-project.io/v1alpha1/compassconnections/cc/status'), {
    verb: 'patch',
    apiGroup: 'compass.kyma-project.io',
    namespace: '',
    resource: 'compassconnections',
    name: 'cc',
    subresource: 'status',
  });
  t.match(info('DELETE', '/api/v1/namespaces/ns/secrets/x'), { verb: 'delete' });
  t.match(info('DELETE', '/api/v1/namespaces/ns/secrets'), { verb: 'deletecollection' });
  t.match(info('OPTIONS', '/api/v1/namespaces/ns/secrets'), { verb: '' });
  t.match(info('POST', '/api/v1/namespaces/ns/serviceaccounts/sa/token'), {
    verb: 'create',
    resource: 'serviceaccounts',
    name: 'sa',
    subresource: 'token',
  });
  // a namespace is itself a namespaced request; its status and finalize are subresources
  t.match(info('GET', '/api/v1/namespaces/ns'), { namespace: 'ns', resource: 'namespaces', name: 'ns' });
  t.match(info('PUT', '/api/v1/namespaces/ns/status'), { namespace: 'ns', resource: 'namespaces', name: 'ns', subresource: 'status' });
  t.match(info('GET', '/api/v1/namespaces'), { namespace: '', resource: 'namespaces', verb: 'list' });
  // the deprecated verb-in-path form
  t.match(info('GET', '/api/v1/watch/namespaces/ns/secrets'), { verb: 'watch', namespace: 'ns', resource: 'secrets' });
  t.match(info('GET', '/api/v1/proxy/namespaces/ns/services/s/extra/path'), { verb: 'proxy', name: 's', subresource: '' });
});

t.test('requestInfo: non-resource requests keep the lower-case method and the path', async (t) => {
  for (const path of [
    '/',
    '/version',
    '/healthz',
    '/api',
    '/api/v1',
    '/apis',
    '/apis/apps',
    '/apis/apps/v1',
    '/openapi/v2',
    '/metrics',
    '/other/a/b',
  ]) {
    t.match(info('GET', path), { resourceRequest: false, verb: 'get', path }, path);
  }
  t.match(info('POST', '/version'), { resourceRequest: false, verb: 'post' });
});

t.test('requestInfo: list and watch with fieldSelector metadata.name=X are named requests', async (t) => {
  const q = (s: string) => `/api/v1/namespaces/ns/secrets?${s}`;
  t.match(info('GET', q('fieldSelector=metadata.name%3Dcfg')), { verb: 'list', name: 'cfg' });
  t.match(info('GET', q('fieldSelector=metadata.name%3D%3Dcfg&watch=true')), { verb: 'watch', name: 'cfg' });
  t.match(
    info('GET', q(`fieldSelector=${encodeURIComponent('metadata.namespace=ns,metadata.name=cfg')}`)),
    { name: 'cfg' },
    'a term of an AND',
  );
  t.match(info('GET', q('fieldSelector=metadata.name!%3Dcfg')), { name: '' }, '!= names nothing');
  t.match(info('GET', q('fieldSelector=spec.name%3Dcfg')), { name: '' });
  t.match(info('GET', q(`fieldSelector=${encodeURIComponent('metadata.name=a/b')}`)), { name: '' }, 'not a valid path segment');
  t.match(info('GET', q('fieldSelector=metadata.name%3D..')), { name: '' });
  t.match(
    info('GET', q('fieldSelector=metadata.name%3Dcfg&limit=abc')),
    { verb: 'list', name: '' },
    'any parameter that fails to decode drops the name',
  );
  t.match(info('GET', q('fieldSelector=metadata.name%3Dcfg&limit=abc&watch=true')), { verb: 'watch', name: '' }, '...but not watch');
  t.match(info('GET', q(`fieldSelector=metadata.name%3Dcfg&labelSelector=${encodeURIComponent('a in (')}`)), { name: '' });
  t.match(info('GET', q('fieldSelector=nonsense')), { verb: 'list', name: '' });
});

t.test('parseFieldSelectorTerms follows fields.ParseSelector: sorted terms, first operator, escapes', async (t) => {
  t.same(parseFieldSelectorTerms('b=2,a==1,c!=3'), [
    { field: 'a', op: '=', value: '1' },
    { field: 'b', op: '=', value: '2' },
    { field: 'c', op: '!=', value: '3' },
  ]);
  t.same(parseFieldSelectorTerms('a=x\\,y\\=z\\\\'), [{ field: 'a', op: '=', value: 'x,y=z\\' }]);
  t.same(parseFieldSelectorTerms(''), []);
  t.same(parseFieldSelectorTerms('a=1,'), [{ field: 'a', op: '=', value: '1' }]);
  t.throws(() => parseFieldSelectorTerms('abc'), /invalid selector: 'abc'; can't understand 'abc'/);
  t.throws(() => parseFieldSelectorTerms('a=b=c'), /unescaped =/);
  t.throws(() => parseFieldSelectorTerms('a=\\x'), /invalid escape sequence/);
  t.throws(() => parseFieldSelectorTerms('a=x\\'), /invalid escape sequence/);
});

t.test('ruleAllows: verbs, groups, resources, */subresource, resourceNames, wildcards', async (t) => {
  const secrets = rule({ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] });
  t.ok(ruleAllows(secrets, attrs({ resource: 'secrets', verb: 'get', name: 'x' })));
  t.notOk(ruleAllows(secrets, attrs({ resource: 'secrets', verb: 'delete', name: 'x' })), 'verb not listed');
  t.notOk(ruleAllows(secrets, attrs({ resource: 'secrets', apiGroup: 'apps', verb: 'get' })), 'other group');
  t.notOk(ruleAllows(secrets, attrs({ resource: 'configmaps', verb: 'get' })), 'other resource');
  t.notOk(ruleAllows(secrets, attrs({ resource: 'secrets', subresource: 'status', verb: 'get' })), 'a subresource is not its resource');

  const status = rule({ apiGroups: ['compass.kyma-project.io'], resources: ['compassconnections/status'], verbs: ['patch'] });
  t.ok(
    ruleAllows(
      status,
      attrs({ apiGroup: 'compass.kyma-project.io', resource: 'compassconnections', subresource: 'status', verb: 'patch' }),
    ),
  );
  t.notOk(ruleAllows(status, attrs({ apiGroup: 'compass.kyma-project.io', resource: 'compassconnections', verb: 'patch' })));

  const anyStatus = rule({ apiGroups: ['*'], resources: ['*/status'], verbs: ['update'] });
  t.ok(ruleAllows(anyStatus, attrs({ apiGroup: 'apps', resource: 'deployments', subresource: 'status', verb: 'update' })));
  t.notOk(ruleAllows(anyStatus, attrs({ apiGroup: 'apps', resource: 'deployments', subresource: 'scale', verb: 'update' })));
  t.notOk(ruleAllows(anyStatus, attrs({ apiGroup: 'apps', resource: 'deployments', verb: 'update' })));

  const everything = rule({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] });
  t.ok(ruleAllows(everything, attrs({ apiGroup: 'x.io', resource: 'things', subresource: 'status', verb: 'impersonate' })));
  t.notOk(ruleAllows(everything, attrs({ resourceRequest: false, path: '/version' })), 'resource rules never allow non-resource requests');

  const named = rule({ apiGroups: [''], resources: ['secrets'], resourceNames: ['cfg'], verbs: ['get', 'list', 'watch', 'create'] });
  t.ok(ruleAllows(named, attrs({ resource: 'secrets', verb: 'get', name: 'cfg' })));
  t.ok(ruleAllows(named, attrs({ resource: 'secrets', verb: 'list', name: 'cfg' })), 'a list named by its field selector');
  t.notOk(ruleAllows(named, attrs({ resource: 'secrets', verb: 'list', name: '' })), 'an unnamed list');
  t.notOk(ruleAllows(named, attrs({ resource: 'secrets', verb: 'create', name: '' })), 'a create, which has no name');
  t.notOk(ruleAllows(named, attrs({ resource: 'secrets', verb: 'get', name: 'other' })));
});

t.test('ruleAllows: non-resource URLs, exact and with a trailing *', async (t) => {
  const discovery = rule({ nonResourceURLs: ['/api', '/api/*', '/version', '/healthz/*'], verbs: ['get'] });
  const q = (path: string, verb = 'get') => ruleAllows(discovery, attrs({ resourceRequest: false, path, verb }));
  t.ok(q('/api'));
  t.ok(q('/api/v1'));
  t.ok(q('/api/'), '/api/* matches the bare prefix /api/');
  t.ok(q('/version'));
  t.notOk(q('/version/'));
  t.notOk(q('/apis'));
  t.notOk(q('/api', 'post'));
  t.notOk(ruleAllows(rule({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }), attrs({ resourceRequest: false, path: '/api' })));
  t.ok(ruleAllows(rule({ nonResourceURLs: ['*'], verbs: ['*'] }), attrs({ resourceRequest: false, path: '/anything', verb: 'delete' })));
  t.same(
    policyRule({ verbs: ['get', 7], resources: 'secrets' }),
    { verbs: ['get'], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [] },
    'malformed rule fields count as empty',
  );
});

t.test('forbidden: the message forms and details of responsewriters.ForbiddenStatusError', async (t) => {
  const user = { name: 'system:serviceaccount:kyma-system:compass-runtime-agent', groups: [] };
  const named = forbidden(attrs({ user, verb: 'get', resource: 'secrets', namespace: 'kyma-system', name: 'x' }));
  t.equal(named.code, 403);
  t.equal(named.reason, 'Forbidden');
  t.equal(
    named.message,
    'secrets "x" is forbidden: User "system:serviceaccount:kyma-system:compass-runtime-agent" cannot get resource "secrets" in API group "" in the namespace "kyma-system"',
  );
  t.same(named.details, { name: 'x', kind: 'secrets' });
  const collection = forbidden(attrs({ user, verb: 'list', resource: 'secrets', namespace: 'default' }));
  t.equal(
    collection.message,
    'secrets is forbidden: User "system:serviceaccount:kyma-system:compass-runtime-agent" cannot list resource "secrets" in API group "" in the namespace "default"',
  );
  t.same(collection.details, { kind: 'secrets' });
  const cluster = forbidden(
    attrs({ user, verb: 'patch', apiGroup: 'compass.kyma-project.io', resource: 'compassconnections', subresource: 'status', name: 'cc' }),
  );
  t.equal(
    cluster.message,
    'compassconnections.compass.kyma-project.io "cc" is forbidden: User "system:serviceaccount:kyma-system:compass-runtime-agent" cannot patch resource "compassconnections/status" in API group "compass.kyma-project.io" at the cluster scope',
  );
  t.same(cluster.details, { name: 'cc', group: 'compass.kyma-project.io', kind: 'compassconnections' });
  const path = forbidden(attrs({ user, resourceRequest: false, verb: 'get', path: '/metrics' }));
  t.equal(path.message, 'forbidden: User "system:serviceaccount:kyma-system:compass-runtime-agent" cannot get path "/metrics"');
  t.same(path.details, {});
  t.equal(
    forbidden(attrs({ user, verb: 'get', resource: 'secrets', namespace: 'ns' }), 'RBAC: role.rbac.authorization.k8s.io "gone" not found')
      .message,
    'secrets is forbidden: User "system:serviceaccount:kyma-system:compass-runtime-agent" cannot get resource "secrets" in API group "" in the namespace "ns": RBAC: role.rbac.authorization.k8s.io "gone" not found',
    'the reason follows',
  );
  t.equal(
    forbiddenMessage(attrs({ user: { name: 'a<b>&c', groups: [] }, resourceRequest: false, verb: 'get', path: '/x' })),
    'User "a<b>&c" cannot get path "/x"',
  );
  t.equal(
    forbidden(attrs({ user: { name: 'a<b>&c', groups: [] }, resourceRequest: false, verb: 'get', path: '/x' })).message,
    'forbidden: User "a&lt;b&gt;&amp;c" cannot get path "/x"',
    'escaped so it cannot pass for HTML',
  );
  t.equal(forbiddenMessage(attrs({ user: undefined, resourceRequest: false, verb: 'get', path: '/x' })), 'User "" cannot get path "/x"');
});

t.test('users: ServiceAccount names and groups, system:authenticated, Go quoting and aggregates', async (t) => {
  t.same(SA, {
    name: 'system:serviceaccount:kyma-system:agent',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kyma-system', 'system:authenticated'],
  });
  t.same(splitServiceAccountUsername('system:serviceaccount:kyma-system:agent'), { namespace: 'kyma-system', name: 'agent' });
  for (const bad of [
    'system:serviceaccount:kyma-system',
    'system:serviceaccount:a:b:c',
    'system:serviceaccount:Kyma:agent',
    'system:serviceaccount:ns:Agent',
    'bob',
  ]) {
    t.equal(splitServiceAccountUsername(bad), undefined, bad);
  }
  t.same(withAuthenticatedGroup({ name: 'bob', groups: ['devs'] }).groups, ['devs', 'system:authenticated']);
  t.same(withAuthenticatedGroup({ name: 'bob', groups: ['system:authenticated'] }).groups, ['system:authenticated']);
  t.same(withAuthenticatedGroup({ name: 'system:anonymous', groups: [] }).groups, []);
  t.equal(goQuote('a"b\u0001\n'), '"a\\"b\\x01\\n"');
  t.equal(aggregate(['x']), 'x');
  t.equal(aggregate(['x', 'x']), 'x');
  t.equal(aggregate(['x', 'y']), '[x, y]');
});

t.test('RbacAuthorizer over a store: bindings by user, group and ServiceAccount; changes take effect', async (t) => {
  const store = new KubeStore();
  const type = (plural: string) => store.findType(plural.startsWith('namespaces') ? '' : 'rbac.authorization.k8s.io', 'v1', plural)!;
  store.create(type('namespaces'), undefined, { metadata: { name: 'ns' } });
  const rbac = new RbacAuthorizer(store);
  t.teardown(() => rbac.close());
  const get = (user: RequestAttributes['user'], namespace = 'ns') =>
    rbac.authorize(attrs({ user, verb: 'get', resource: 'secrets', namespace, name: 's' }));
  const bob = { name: 'bob', groups: ['devs', 'system:authenticated'] };
  t.same(get(bob), { allowed: false, reason: '' }, 'nothing bound yet');

  store.create(type('roles'), 'ns', { metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] });
  store.create(type('rolebindings'), 'ns', {
    metadata: { name: 'devs-read' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    subjects: [
      { kind: 'User', name: 'alice' },
      { kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', name: 'agent' },
    ],
  });
  t.same(get(bob), { allowed: true, reason: 'RBAC: allowed by RoleBinding "devs-read/ns" of Role "reader" to Group "devs"' });
  t.same(get(SA), { allowed: false, reason: '' }, 'the SA subject defaults to the binding namespace, ns, not kyma-system');
  const nsAgent = serviceAccountUser('ns', 'agent');
  t.same(get(nsAgent), {
    allowed: true,
    reason: 'RBAC: allowed by RoleBinding "devs-read/ns" of Role "reader" to ServiceAccount "agent/ns"',
  });
  t.same(get(bob, 'other'), { allowed: false, reason: '' }, 'a RoleBinding only reaches its namespace');
  t.same(
    get({ name: 'alice', groups: ['devs'] }).reason,
    'RBAC: allowed by RoleBinding "devs-read/ns" of Role "reader" to User "alice"',
    'the first subject that applies is named',
  );

  store.create(type('clusterroles'), undefined, {
    metadata: { name: 'secret-reader' },
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
  });
  store.create(type('clusterrolebindings'), undefined, {
    metadata: { name: 'agent-everywhere' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'secret-reader' },
    subjects: [
      { kind: 'User', name: 'carol' },
      { kind: 'ServiceAccount', name: 'agent', namespace: 'kyma-system' },
    ],
  });
  t.same(
    get(SA, 'other'),
    {
      allowed: true,
      reason: 'RBAC: allowed by ClusterRoleBinding "agent-everywhere" of ClusterRole "secret-reader" to ServiceAccount "agent/kyma-system"',
    },
    'a ClusterRoleBinding reaches every namespace',
  );
  t.same(get(SA, '').allowed, true, '...and the cluster scope (across all namespaces)');

  store.delete(type('clusterrolebindings'), undefined, 'agent-everywhere');
  t.same(get(SA, 'other'), { allowed: false, reason: '' }, 'a deleted binding stops allowing at once');

  store.update(type('roles'), 'ns', 'reader', {
    metadata: { name: 'reader' },
    rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }],
  });
  t.equal(get(bob).allowed, false, 'an edited role takes effect at once');

  store.create(type('rolebindings'), 'ns', {
    metadata: { name: 'broken' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'gone' },
    subjects: [{ kind: 'Group', name: 'devs' }],
  });
  store.create(type('clusterrolebindings'), undefined, {
    metadata: { name: 'broken' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'gone' },
    subjects: [{ kind: 'User', name: 'bob' }],
  });
  t.same(
    get(bob),
    {
      allowed: false,
      reason: 'RBAC: [clusterrole.rbac.authorization.k8s.io "gone" not found, role.rbac.authorization.k8s.io "gone" not found]',
    },
    'unresolvable role references explain the denial, cluster bindings first',
  );
  t.same(rbac.rulesFor(bob, 'ns'), {
    rules: [{ verbs: ['list'], apiGroups: [''], resources: ['secrets'], resourceNames: [], nonResourceURLs: [] }],
    errors: ['clusterrole.rbac.authorization.k8s.io "gone" not found', 'role.rbac.authorization.k8s.io "gone" not found'],
  });
});

t.test('RbacAuthorizer stays cheap: thousands of bindings, answers from the subject index', async (t) => {
  const store = new KubeStore();
  const type = (plural: string) => store.findType(plural === 'namespaces' ? '' : 'rbac.authorization.k8s.io', 'v1', plural)!;
  store.create(type('namespaces'), undefined, { metadata: { name: 'ns' } });
  store.create(type('roles'), 'ns', { metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] });
  for (let i = 0; i < 3000; i++) {
    store.create(type('rolebindings'), 'ns', {
      metadata: { name: `b-${i}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [{ kind: 'User', name: `user-${i}` }],
    });
  }
  const rbac = new RbacAuthorizer(store);
  t.teardown(() => rbac.close());
  let allowed = 0;
  for (let i = 0; i < 3000; i++) {
    if (rbac.authorize(attrs({ user: { name: `user-${i}`, groups: [] }, resource: 'secrets', namespace: 'ns', name: 'x' })).allowed)
      allowed++;
  }
  t.equal(allowed, 3000);
  t.equal(
    rbac.authorize(attrs({ user: { name: 'user-1', groups: [] }, resource: 'secrets', namespace: 'ns', name: 'x' })).reason,
    'RBAC: allowed by RoleBinding "b-1/ns" of Role "reader" to User "user-1"',
    "only the user's own binding applies",
  );
  t.equal(rbac.authorize(attrs({ user: { name: 'nobody', groups: [] }, resource: 'secrets', namespace: 'ns' })).allowed, false);
});
