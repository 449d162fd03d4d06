// The bootstrap ClusterRoles and ClusterRoleBindings of a fresh kube-apiserver v1.32 that matter to
// the simulator's clients (kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go and
// its testdata/cluster-roles.yaml): cluster-admin for system:masters, discovery and self-reviews for
// every authenticated user, health and version for everyone. The aggregated admin/edit/view roles
// and the controllers' roles are left out.

const RBAC = 'rbac.authorization.k8s.io';
const METADATA = {
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
};

interface Rule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  nonResourceURLs?: string[];
}

function clusterRole(name: string, rules: Rule[]): Record<string, unknown> {
  return { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name, ...structuredClone(METADATA) }, rules };
}

function groupBinding(name: string, groups: string[]): Record<string, unknown> {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name, ...structuredClone(METADATA) },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name },
    subjects: groups.map((group) => ({ apiGroup: RBAC, kind: 'Group', name: group })),
  };
}

export function bootstrapClusterRoles(): Record<string, unknown>[] {
  return [
    clusterRole('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
    clusterRole('system:basic-user', [
      { apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create'] },
      { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
    ]),
    clusterRole('system:discovery', [
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
    ]),
    clusterRole('system:public-info-viewer', [
      { nonResourceURLs: ['/healthz', '/livez', '/readyz', '/version', '/version/'], verbs: ['get'] },
    ]),
  ];
}

export function bootstrapClusterRoleBindings(): Record<string, unknown>[] {
  return [
    groupBinding('cluster-admin', ['system:masters']),
    groupBinding('system:basic-user', ['system:authenticated']),
    groupBinding('system:discovery', ['system:authenticated']),
    groupBinding('system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
  ];
}
