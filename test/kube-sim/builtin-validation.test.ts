// The built-in kinds a deployment uses, as kube-apiserver v1.32 stores them (no controllers): the
// defaults a write gets, the values the registry allocates, and the kinds' own validation with the
// API server's exact messages, each rule pinned on the passing and the failing side.
import t, { type Test } from 'tap';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';
import { simClient, type SimClient, type Reply } from './https-client.js';

const NS = '/api/v1/namespaces/default';
const SECRETS = `${NS}/secrets`;
const CONFIGMAPS = `${NS}/configmaps`;
const SERVICES = `${NS}/services`;
const EVENTS = `${NS}/events`;
const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const ROLES = '/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles';
const ROLEBINDINGS = '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings';
const CLUSTERROLEBINDINGS = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';
const PDBS = '/apis/policy/v1/namespaces/default/poddisruptionbudgets';
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const NEW_EVENTS = '/apis/events.k8s.io/v1/namespaces/default/events';
const NETPOLS = '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies';
const MERGE = { 'content-type': 'application/merge-patch+json' };
const MiB = 1024 * 1024;

let sim: KubeSim;
let c: SimClient;

t.before(async () => {
  sim = await startKubeSim({ namespaces: ['default'] });
  c = await simClient(sim);
});
t.teardown(() => sim.close());

function invalid(t: Test, reply: Reply, message: string): void {
  t.equal(reply.status, 422, `422 for: ${message.slice(0, 160)}`);
  t.equal(reply.body?.reason, 'Invalid');
  t.equal(reply.body?.message, message);
}

const b64 = (bytes: number) => Buffer.alloc(bytes, 1).toString('base64');

function deployment(name: string, overrides: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: 'example.com/app:1.0', ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
      ...overrides,
    },
  };
}

t.test('Secret: data keys, 1 MiB of data, the type and immutable: true', async (t) => {
  t.equal(
    (await c.call('POST', SECRETS, { metadata: { name: 'max' }, data: { 'key_1.txt': b64(MiB) } })).status,
    201,
    '1048576 bytes pass',
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name: 'over' }, data: { a: b64(MiB - 10), b: b64(11) } }),
    'Secret "over" is invalid: data: Too long: may not be more than 1048576 bytes',
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name: 'dots' }, data: { '..x': 'YQ==' } }),
    `Secret "dots" is invalid: data[..x]: Invalid value: "..x": must not start with '..'`,
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name: 'tls' }, type: 'kubernetes.io/tls', data: {} }),
    'Secret "tls" is invalid: [data[tls.crt]: Required value, data[tls.key]: Required value]',
  );
  invalid(
    t,
    await c.call('POST', SECRETS, { metadata: { name: 'basic' }, type: 'kubernetes.io/basic-auth' }),
    'Secret "basic" is invalid: [data[%s][username]: Required value, data[%s][password]: Required value]',
  );
  t.equal(
    (
      await c.call('POST', SECRETS, {
        metadata: { name: 'tls' },
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': 'YQ==', 'tls.key': 'Yg==' },
      })
    ).status,
    201,
  );
  invalid(
    t,
    await c.call('PUT', `${SECRETS}/tls`, { metadata: { name: 'tls' }, type: 'Opaque', data: { 'tls.crt': 'YQ==', 'tls.key': 'Yg==' } }),
    'Secret "tls" is invalid: type: Invalid value: "Opaque": field is immutable',
  );
  t.equal(
    (await c.call('PUT', `${SECRETS}/tls`, { metadata: { name: 'tls' }, data: { 'tls.crt': 'YQ==', 'tls.key': 'Yg==' } })).status,
    422,
    'an update without type is defaulted to Opaque, which changes it',
  );

  t.equal((await c.call('POST', SECRETS, { metadata: { name: 'frozen' }, immutable: true, data: { a: 'YQ==' } })).status, 201);
  invalid(
    t,
    await c.call('PATCH', `${SECRETS}/frozen`, { data: { a: 'Yg==' } }, MERGE),
    'Secret "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set',
  );
  invalid(
    t,
    await c.call('PATCH', `${SECRETS}/frozen`, { immutable: false }, MERGE),
    'Secret "frozen" is invalid: immutable: Forbidden: field is immutable when `immutable` is set',
  );
  t.equal(
    (await c.call('PATCH', `${SECRETS}/frozen`, { metadata: { labels: { still: 'mutable' } } }, MERGE)).status,
    200,
    'metadata stays mutable',
  );
});

t.test('ConfigMap: keys, no key in both data and binaryData, 1 MiB, immutable: true', async (t) => {
  t.equal(
    (await c.call('POST', CONFIGMAPS, { metadata: { name: 'max' }, data: { a: 'x'.repeat(MiB - 3) }, binaryData: { b: b64(3) } })).status,
    201,
  );
  invalid(
    t,
    await c.call('POST', CONFIGMAPS, { metadata: { name: 'over' }, data: { a: 'x'.repeat(MiB - 3) }, binaryData: { b: b64(4) } }),
    'ConfigMap "over" is invalid: []: Too long: may not be more than 1048576 bytes',
  );
  invalid(
    t,
    await c.call('POST', CONFIGMAPS, { metadata: { name: 'dup' }, data: { k: 'v' }, binaryData: { k: 'YQ==' } }),
    'ConfigMap "dup" is invalid: data[k]: Invalid value: "k": duplicate of key present in binaryData',
  );
  invalid(
    t,
    await c.call('POST', CONFIGMAPS, { metadata: { name: 'long' }, data: { [`k${'y'.repeat(253)}`]: 'v' } }),
    `ConfigMap "long" is invalid: data[k${'y'.repeat(253)}]: Invalid value: "k${'y'.repeat(253)}": must be no more than 253 characters`,
  );
  t.equal((await c.call('POST', CONFIGMAPS, { metadata: { name: 'frozen' }, immutable: true, binaryData: { b: 'YQ==' } })).status, 201);
  invalid(
    t,
    await c.call('PATCH', `${CONFIGMAPS}/frozen`, { binaryData: { b: 'Yg==' } }, MERGE),
    'ConfigMap "frozen" is invalid: binaryData: Forbidden: field is immutable when `immutable` is set',
  );
});

t.test('Service: defaults, a ClusterIP from 10.96.0.0/12 that stays, ports and type checked', async (t) => {
  const created = await c.call('POST', SERVICES, { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
  t.equal(created.status, 201);
  const spec = created.body.spec;
  t.match(spec, {
    type: 'ClusterIP',
    sessionAffinity: 'None',
    internalTrafficPolicy: 'Cluster',
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
  });
  const [o1, o2] = String(spec.clusterIP).split('.').map(Number);
  t.ok(o1 === 10 && o2 >= 96 && o2 <= 111, `${spec.clusterIP} is in 10.96.0.0/12`);
  t.same(spec.clusterIPs, [spec.clusterIP]);
  t.same(created.body.status, { loadBalancer: {} });
  const replaced = await c.call('PUT', `${SERVICES}/web`, {
    metadata: { name: 'web' },
    spec: { selector: { app: 'web' }, ports: [{ port: 81 }] },
  });
  t.equal(replaced.body.spec.clusterIP, spec.clusterIP, 'an update that leaves clusterIP out keeps it');
  invalid(
    t,
    await c.call('PATCH', `${SERVICES}/web`, { spec: { clusterIP: '10.96.0.99' } }, MERGE),
    'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.99"}: may not change once set',
  );
  invalid(
    t,
    await c.call('POST', SERVICES, { metadata: { name: 'far' }, spec: { clusterIP: '192.168.0.1', ports: [{ port: 80 }] } }),
    'Service "far" is invalid: spec.clusterIPs: Invalid value: []string{"192.168.0.1"}: failed to allocate IP 192.168.0.1: provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12',
  );
  t.equal(
    (await c.call('POST', SERVICES, { metadata: { name: 'headless' }, spec: { clusterIP: 'None' } })).status,
    201,
    'a headless Service needs no ports',
  );
  invalid(
    t,
    await c.call('POST', SERVICES, { metadata: { name: 'noports' }, spec: {} }),
    'Service "noports" is invalid: spec.ports: Required value',
  );
  invalid(
    t,
    await c.call('POST', SERVICES, { metadata: { name: 'two' }, spec: { ports: [{ port: 80 }, { port: 81 }] } }),
    'Service "two" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]',
  );
  t.equal(
    (
      await c.call('POST', SERVICES, {
        metadata: { name: 'named' },
        spec: { ports: [{ name: 'http', port: 80, targetPort: 'abcdefghijklmno' }] },
      })
    ).status,
    201,
    '15-character port names pass',
  );
  invalid(
    t,
    await c.call('POST', SERVICES, { metadata: { name: 'longport' }, spec: { ports: [{ port: 80, targetPort: 'abcdefghijklmnop' }] } }),
    'Service "longport" is invalid: spec.ports[0].targetPort: Invalid value: "abcdefghijklmnop": must be no more than 15 characters',
  );
  invalid(
    t,
    await c.call('POST', SERVICES, { metadata: { name: 'range' }, spec: { ports: [{ port: 65536 }] } }),
    'Service "range" is invalid: [spec.ports[0].port: Invalid value: 65536: must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 65536: must be between 1 and 65535, inclusive]',
  );
  invalid(
    t,
    await c.call('POST', SERVICES, { metadata: { name: 'kind' }, spec: { type: 'Foo', ports: [{ port: 80 }] } }),
    'Service "kind" is invalid: spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  );
});

t.test('Deployment: defaults, selector required and matching, spec.selector immutable', async (t) => {
  const created = await c.call('POST', DEPLOYMENTS, deployment('agent'));
  t.equal(created.status, 201);
  t.match(created.body, {
    metadata: { generation: 1 },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      template: {
        spec: {
          restartPolicy: 'Always',
          dnsPolicy: 'ClusterFirst',
          terminationGracePeriodSeconds: 30,
          schedulerName: 'default-scheduler',
          securityContext: {},
          containers: [
            {
              imagePullPolicy: 'IfNotPresent',
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              ports: [{ protocol: 'TCP' }],
            },
          ],
        },
      },
    },
    status: {},
  });
  const noSelector = deployment('nosel');
  delete (noSelector.spec as Record<string, unknown>).selector;
  invalid(
    t,
    await c.call('POST', DEPLOYMENTS, noSelector),
    'Deployment.apps "nosel" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string{"app":"nosel"}: `selector` does not match template `labels`]',
  );
  invalid(
    t,
    await c.call('POST', DEPLOYMENTS, deployment('mismatch', { selector: { matchLabels: { app: 'other' } } })),
    'Deployment.apps "mismatch" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"mismatch"}: `selector` does not match template `labels`',
  );
  invalid(
    t,
    await c.call('POST', DEPLOYMENTS, deployment('empty', { selector: {} })),
    'Deployment.apps "empty" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
  );
  // The upgrade from the Go agent's chart: its selector has `release` too, and a selector never changes.
  const moved = await c.call(
    'PATCH',
    `${DEPLOYMENTS}/agent`,
    {
      spec: {
        selector: { matchLabels: { app: 'agent', release: 'x' } },
        template: { metadata: { labels: { app: 'agent', release: 'x' } } },
      },
    },
    MERGE,
  );
  invalid(
    t,
    moved,
    'Deployment.apps "agent" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"agent", "release":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  );
  const labelled = await c.call('PATCH', `${DEPLOYMENTS}/agent`, { spec: { template: { metadata: { labels: { extra: 'ok' } } } } }, MERGE);
  t.equal(labelled.status, 200, 'template labels may change while the selector still matches');
  t.equal(labelled.body.metadata.generation, 2, 'a spec change bumps generation');
});

t.test('Deployment: strategy, containers and the pod template', async (t) => {
  invalid(
    t,
    await c.call('POST', DEPLOYMENTS, deployment('recreate', { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } })),
    'Deployment.apps "recreate" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is \'Recreate\'',
  );
  t.equal((await c.call('POST', DEPLOYMENTS, deployment('recreate', { strategy: { type: 'Recreate' } }))).status, 201);
  invalid(
    t,
    await c.call('POST', DEPLOYMENTS, deployment('zero', { strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } })),
    'Deployment.apps "zero" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
  );
  const noImage = deployment('noimage');
  noImage.spec.template.spec.containers = [{ name: 'Main', ports: [{ name: 'a-very-long-port-name', containerPort: 70000 }] } as never];
  invalid(
    t,
    await c.call('POST', DEPLOYMENTS, noImage),
    "Deployment.apps \"noimage\" is invalid: [spec.template.spec.containers[0].name: Invalid value: \"Main\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), " +
      'spec.template.spec.containers[0].image: Required value, spec.template.spec.containers[0].ports[0].name: Invalid value: "a-very-long-port-name": must be no more than 15 characters, ' +
      'spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive]',
  );
  const never = deployment('never');
  (never.spec.template.spec as Record<string, unknown>).restartPolicy = 'Never';
  invalid(
    t,
    await c.call('POST', DEPLOYMENTS, never),
    'Deployment.apps "never" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
  );
  invalid(
    t,
    await c.call(
      'POST',
      DEPLOYMENTS,
      deployment('nocontainers', { template: { metadata: { labels: { app: 'nocontainers' } }, spec: {} } }),
    ),
    'Deployment.apps "nocontainers" is invalid: spec.template.spec.containers: Required value',
  );
  invalid(
    t,
    await c.call('POST', DEPLOYMENTS, deployment('deadline', { minReadySeconds: 10, progressDeadlineSeconds: 10 })),
    'Deployment.apps "deadline" is invalid: spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds',
  );
});

t.test('RBAC: rules, roleRef and subjects, roleRef never changes', async (t) => {
  invalid(
    t,
    await c.call('POST', ROLES, { metadata: { name: 'noverbs' }, rules: [{ apiGroups: [''], resources: ['secrets'] }] }),
    'Role.rbac.authorization.k8s.io "noverbs" is invalid: rules[0].verbs: Required value: verbs must contain at least one value',
  );
  t.equal(
    (await c.call('POST', ROLES, { metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }] }))
      .status,
    201,
  );
  const binding = await c.call('POST', ROLEBINDINGS, {
    metadata: { name: 'rb' },
    roleRef: { kind: 'Role', name: 'reader' },
    subjects: [
      { kind: 'User', name: 'alice' },
      { kind: 'ServiceAccount', name: 'sa' },
    ],
  });
  t.equal(binding.status, 201);
  t.same(binding.body.roleRef, { kind: 'Role', name: 'reader', apiGroup: 'rbac.authorization.k8s.io' }, 'roleRef.apiGroup is defaulted');
  t.equal(binding.body.subjects[0].apiGroup, 'rbac.authorization.k8s.io', 'a User subject gets the RBAC group');
  invalid(
    t,
    await c.call('PATCH', `${ROLEBINDINGS}/rb`, { roleRef: { name: 'other' } }, MERGE),
    'RoleBinding.rbac.authorization.k8s.io "rb" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef',
  );
  t.equal(
    (await c.call('PATCH', `${ROLEBINDINGS}/rb`, { subjects: [{ kind: 'Group', name: 'devs' }] }, MERGE)).status,
    200,
    'subjects may change',
  );
  invalid(
    t,
    await c.call('POST', CLUSTERROLEBINDINGS, {
      metadata: { name: 'crb' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' },
      subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
    }),
    'ClusterRoleBinding.rbac.authorization.k8s.io "crb" is invalid: [roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole", subjects[0].namespace: Required value]',
  );
});

t.test('PodDisruptionBudget, Lease, NetworkPolicy, Namespace and Events', async (t) => {
  const both = await c.call('POST', PDBS, {
    metadata: { name: 'pdb' },
    spec: { minAvailable: 1, maxUnavailable: '50%', selector: { matchLabels: { app: 'a' } } },
  });
  t.equal(both.status, 422);
  t.match(
    both.body.message,
    /^PodDisruptionBudget\.policy "pdb" is invalid: spec: Invalid value: policy\.PodDisruptionBudgetSpec\{MinAvailable:\(\*intstr\.IntOrString\)\(0xc[0-9a-f]+\), Selector:\(\*v1\.LabelSelector\)\(0xc[0-9a-f]+\), MaxUnavailable:\(\*intstr\.IntOrString\)\(0xc[0-9a-f]+\), UnhealthyPodEvictionPolicy:\(\*policy\.UnhealthyPodEvictionPolicyType\)\(nil\)\}: minAvailable and maxUnavailable cannot be both set$/,
  );
  invalid(
    t,
    await c.call('POST', PDBS, { metadata: { name: 'pdb' }, spec: { maxUnavailable: '101%' } }),
    'PodDisruptionBudget.policy "pdb" is invalid: spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"101%"}: must not be greater than 100%',
  );
  const pdb = await c.call('POST', PDBS, { metadata: { name: 'pdb' }, spec: { maxUnavailable: '100%' } });
  t.match(pdb, {
    status: 201,
    body: { metadata: { generation: 1 }, status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 } },
  });

  t.equal(
    (await c.call('POST', LEASES, { metadata: { name: 'lock' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 1 } })).status,
    201,
  );
  invalid(
    t,
    await c.call('PATCH', `${LEASES}/lock`, { spec: { leaseDurationSeconds: 0 } }, MERGE),
    'Lease.coordination.k8s.io "lock" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
  );

  const netpol = await c.call('POST', NETPOLS, {
    metadata: { name: 'np' },
    spec: { podSelector: {}, ingress: [{ ports: [{ port: 8090 }] }] },
  });
  t.match(netpol.body.spec, { policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 8090, protocol: 'TCP' }] }] });
  invalid(
    t,
    await c.call('POST', NETPOLS, { metadata: { name: 'np2' }, spec: { podSelector: {}, policyTypes: ['Sideways'] } }),
    'NetworkPolicy.networking.k8s.io "np2" is invalid: spec.policyTypes[0]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
  );

  invalid(
    t,
    await c.call('POST', '/api/v1/namespaces', { metadata: { name: 'fin' }, spec: { finalizers: ['custom'] } }),
    'Namespace "fin" is invalid: spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
  );

  t.equal(
    (
      await c.call('POST', EVENTS, {
        metadata: { name: 'pod.17a' },
        involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' },
        reason: 'Started',
      })
    ).status,
    201,
  );
  invalid(
    t,
    await c.call('POST', EVENTS, { metadata: { name: 'e2' }, involvedObject: { kind: 'Pod', namespace: 'other', name: 'p' } }),
    'Event "e2" is invalid: involvedObject.namespace: Invalid value: "other": does not match event.namespace',
  );
  const event = {
    metadata: { name: 'ev' },
    eventTime: '2024-01-01T00:00:00.000000Z',
    regarding: { kind: 'Pod', namespace: 'default', name: 'p' },
    reason: 'Started',
    action: 'Start',
    reportingController: 'example.com/ctl',
    reportingInstance: 'i',
    type: 'Normal',
  };
  t.equal((await c.call('POST', NEW_EVENTS, event)).status, 201);
  invalid(
    t,
    await c.call('POST', NEW_EVENTS, { ...event, metadata: { name: 'ev2' }, type: 'Loud' }),
    'Event.events.k8s.io "ev2" is invalid: type: Invalid value: "": has invalid value: Loud',
  );
});

t.test('status subresources of built-in kinds: writes to the object keep status, /status keeps the rest', async (t) => {
  const status = await c.call('PUT', `${DEPLOYMENTS}/agent/status`, {
    ...(await c.call('GET', `${DEPLOYMENTS}/agent`)).body,
    spec: { replicas: 5 },
    status: { replicas: 1 },
  });
  t.match(status, { status: 200, body: { spec: { replicas: 1 }, status: { replicas: 1 } } });
  const main = await c.call('PATCH', `${DEPLOYMENTS}/agent`, { spec: { replicas: 2 }, status: { replicas: 9 } }, MERGE);
  t.match(main.body, { spec: { replicas: 2 }, status: { replicas: 1 } });
  const svc = await c.call(
    'PATCH',
    `${SERVICES}/web/status`,
    { status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } }, spec: { ports: [{ port: 1 }] } },
    MERGE,
  );
  t.match(svc.body, { spec: { ports: [{ port: 81 }] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } });
  t.equal((await c.call('GET', `${SECRETS}/max/status`)).status, 404, 'Secrets have no status subresource');
});

t.test('label selectors: matchExpressions validated as metav1 does, and evaluated against the template labels', async (t) => {
  const pdb = (name: string, matchExpressions: unknown[]) => ({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name },
    spec: { minAvailable: 1, selector: { matchExpressions } },
  });
  invalid(
    t,
    await c.call(
      'POST',
      PDBS,
      pdb('bad-expressions', [
        { key: 'app', operator: 'In', values: [] },
        { key: 'app', operator: 'Exists', values: ['a'] },
        { key: 'app', operator: 'Near', values: ['a'] },
        { key: '-app', operator: 'NotIn', values: ['a b'] },
      ]),
    ),
    'PodDisruptionBudget.policy "bad-expressions" is invalid: [' +
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn', " +
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist', " +
      'spec.selector.matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator, ' +
      "spec.selector.matchExpressions[3].key: Invalid value: \"-app\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), " +
      "spec.selector.matchExpressions[3].values[0]: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]",
  );
  t.equal(
    (
      await c.call(
        'POST',
        PDBS,
        pdb('good-expressions', [
          { key: 'app', operator: 'In', values: ['a'] },
          { key: 'tier', operator: 'DoesNotExist' },
        ]),
      )
    ).status,
    201,
    'valid expressions are stored',
  );

  const selected = (name: string, selector: unknown, labels: Record<string, string>) =>
    c.call('POST', DEPLOYMENTS, {
      ...deployment(name),
      spec: { ...deployment(name).spec, selector, template: { ...deployment(name).spec.template, metadata: { labels } } },
    });
  const labels = { app: 'web', tier: 'front' };
  for (const [name, selector] of [
    ['in', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }],
    ['notin', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['api'] }] }],
    ['exists', { matchLabels: { tier: 'front' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] }],
    ['doesnotexist', { matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] }],
  ] as const) {
    t.equal((await selected(`sel-${name}`, selector, labels)).status, 201, `${name}: the template's labels are selected`);
  }
  for (const [name, selector] of [
    ['in', { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] }],
    ['notin', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }],
    ['exists', { matchExpressions: [{ key: 'canary', operator: 'Exists' }] }],
    ['doesnotexist', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }],
    ['matchlabels', { matchLabels: { app: 'web', tier: 'back' } }],
  ] as const) {
    const reply = await selected(`nosel-${name}`, selector, labels);
    t.equal(reply.status, 422, `${name}: not selected`);
    t.match(reply.body?.message, /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/);
  }
});
