// The API resources the simulator serves: built-in types plus whatever the stored CRDs declare.

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

export interface ResourceType {
  group: string; // '' for the core group
  versions: string[]; // served versions, storage/preferred first
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  statusSubresource: boolean;
  printerColumns: PrinterColumn[];
  /** Custom resources: PUT needs metadata.resourceVersion, strategic merge patch is refused. */
  custom: boolean;
  /** Whether metadata.generation is maintained (CRs and CRDs; not Secrets or ConfigMaps). */
  generation: boolean;
  /** Custom resources: `openAPIV3Schema` of each served version (absent where the CRD gives none). */
  schemas?: Record<string, unknown>;
  /**
   * Served from another type's storage (typeKey), converted on the way in and out: events.k8s.io/v1
   * Events are core/v1 Events (event-conversion.ts).
   */
  storedAs?: string;
}

/** `secrets` for the core group, `widgets.example.com` otherwise: the name used in messages. */
export function qualifiedName(type: ResourceType): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

export function typeKey(group: string, plural: string): string {
  return `${group}/${plural}`;
}

export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
};

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
export const DEFAULT_VERBS = VERBS;

function builtin(
  partial: Partial<ResourceType> & Pick<ResourceType, 'group' | 'versions' | 'plural' | 'kind' | 'namespaced'>,
): ResourceType {
  return {
    singular: partial.kind.toLowerCase(),
    listKind: `${partial.kind}List`,
    shortNames: [],
    categories: [],
    statusSubresource: false,
    printerColumns: [],
    custom: false,
    generation: false,
    ...partial,
  };
}

export const BUILTIN_TYPES: ResourceType[] = [
  builtin({
    group: '',
    versions: ['v1'],
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    statusSubresource: true,
    printerColumns: [{ name: 'Status', type: 'string', jsonPath: '.status.phase' }, AGE],
  }),
  builtin({
    group: '',
    versions: ['v1'],
    plural: 'secrets',
    kind: 'Secret',
    namespaced: true,
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.type' },
      { name: 'Data', type: 'integer', jsonPath: '.data', format: 'count' },
      AGE,
    ],
  }),
  builtin({
    group: '',
    versions: ['v1'],
    plural: 'configmaps',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
    printerColumns: [{ name: 'Data', type: 'integer', jsonPath: '.data', format: 'count' }, AGE],
  }),
  builtin({
    group: '',
    versions: ['v1'],
    plural: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.type' },
      { name: 'Reason', type: 'string', jsonPath: '.reason' },
      { name: 'Message', type: 'string', jsonPath: '.message' },
      AGE,
    ],
  }),
  builtin({
    group: 'events.k8s.io',
    versions: ['v1'],
    plural: 'events',
    kind: 'Event',
    namespaced: true,
    shortNames: ['ev'],
    storedAs: '/events',
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.type' },
      { name: 'Reason', type: 'string', jsonPath: '.reason' },
      { name: 'Note', type: 'string', jsonPath: '.note' },
      AGE,
    ],
  }),
  builtin({
    group: 'coordination.k8s.io',
    versions: ['v1'],
    plural: 'leases',
    kind: 'Lease',
    namespaced: true,
    printerColumns: [{ name: 'Holder', type: 'string', jsonPath: '.spec.holderIdentity' }, AGE],
  }),
  builtin({
    group: '',
    versions: ['v1'],
    plural: 'serviceaccounts',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
    printerColumns: [{ name: 'Secrets', type: 'integer', jsonPath: '.secrets', format: 'count' }, AGE],
  }),
  builtin({
    group: '',
    versions: ['v1'],
    plural: 'services',
    kind: 'Service',
    namespaced: true,
    shortNames: ['svc'],
    statusSubresource: true,
    categories: ['all'],
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.spec.type' },
      { name: 'Cluster-IP', type: 'string', jsonPath: '.spec.clusterIP' },
      AGE,
    ],
  }),
  builtin({
    group: 'apps',
    versions: ['v1'],
    plural: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    shortNames: ['deploy'],
    statusSubresource: true,
    generation: true,
    categories: ['all'],
    printerColumns: [
      { name: 'Ready', type: 'string', jsonPath: '.status.readyReplicas' },
      { name: 'Up-to-date', type: 'integer', jsonPath: '.status.updatedReplicas' },
      { name: 'Available', type: 'integer', jsonPath: '.status.availableReplicas' },
      AGE,
    ],
  }),
  builtin({
    group: 'policy',
    versions: ['v1'],
    plural: 'poddisruptionbudgets',
    kind: 'PodDisruptionBudget',
    namespaced: true,
    shortNames: ['pdb'],
    statusSubresource: true,
    generation: true,
    printerColumns: [
      { name: 'Min Available', type: 'string', jsonPath: '.spec.minAvailable' },
      { name: 'Max Unavailable', type: 'string', jsonPath: '.spec.maxUnavailable' },
      AGE,
    ],
  }),
  builtin({
    group: 'networking.k8s.io',
    versions: ['v1'],
    plural: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
    shortNames: ['netpol'],
    generation: true,
    printerColumns: [{ name: 'Pod-Selector', type: 'string', jsonPath: '.spec.podSelector' }, AGE],
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    versions: ['v1'],
    plural: 'roles',
    kind: 'Role',
    namespaced: true,
    printerColumns: [{ name: 'Created At', type: 'string', jsonPath: '.metadata.creationTimestamp' }],
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    versions: ['v1'],
    plural: 'rolebindings',
    kind: 'RoleBinding',
    namespaced: true,
    printerColumns: [{ name: 'Role', type: 'string', jsonPath: '.roleRef.name' }, AGE],
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    versions: ['v1'],
    plural: 'clusterroles',
    kind: 'ClusterRole',
    namespaced: false,
    printerColumns: [{ name: 'Created At', type: 'string', jsonPath: '.metadata.creationTimestamp' }],
  }),
  builtin({
    group: 'rbac.authorization.k8s.io',
    versions: ['v1'],
    plural: 'clusterrolebindings',
    kind: 'ClusterRoleBinding',
    namespaced: false,
    printerColumns: [{ name: 'Role', type: 'string', jsonPath: '.roleRef.name' }, AGE],
  }),
  builtin({
    group: 'apiextensions.k8s.io',
    versions: ['v1'],
    plural: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    statusSubresource: true,
    generation: true,
    printerColumns: [{ name: 'Created At', type: 'string', jsonPath: '.metadata.creationTimestamp' }],
  }),
];

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  subresources?: { status?: unknown };
  additionalPrinterColumns?: PrinterColumn[];
  schema?: { openAPIV3Schema?: unknown };
}

/** The resource type a CustomResourceDefinition object declares (first served version's subresources and columns). */
export function typeFromCrd(crd: Record<string, any>): ResourceType | undefined {
  const spec = crd.spec;
  if (!spec?.group || !spec?.names?.plural || !spec?.names?.kind || !Array.isArray(spec.versions)) return undefined;
  const served = (spec.versions as CrdVersion[]).filter((v) => v.served !== false);
  if (served.length === 0) return undefined;
  served.sort((a, b) => Number(b.storage === true) - Number(a.storage === true));
  const first = served[0];
  return {
    group: spec.group,
    versions: served.map((v) => v.name),
    plural: spec.names.plural,
    singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    kind: spec.names.kind,
    listKind: spec.names.listKind ?? `${spec.names.kind}List`,
    namespaced: spec.scope !== 'Cluster',
    shortNames: spec.names.shortNames ?? [],
    categories: spec.names.categories ?? [],
    statusSubresource: first.subresources?.status !== undefined,
    printerColumns: first.additionalPrinterColumns ?? [AGE],
    custom: true,
    generation: true,
    schemas: Object.fromEntries(
      served.filter((v) => v.schema?.openAPIV3Schema !== undefined).map((v) => [v.name, v.schema!.openAPIV3Schema]),
    ),
  };
}
