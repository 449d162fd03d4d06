// The built-in kinds a deployment uses, as the API server treats them on write: the registry's
// preparation (defaults, allocated values, status reset on create) and the kind's own validation.
// write-validation.ts runs them with the metadata rules; nothing here runs for custom resources.
import type { FieldError } from '../field-errors.js';
import type { KubeObject } from '../object-rules.js';
import type { ResourceType } from '../resource-types.js';
import { leaseErrors } from './coordination.js';
import { defaultDeployment, deploymentErrors } from './deployments.js';
import { eventErrors } from './events.js';
import { labelNamespace, namespaceErrors } from './namespaces.js';
import { defaultNetworkPolicy, networkPolicyErrors } from './networking.js';
import { pdbErrors } from './policy.js';
import { bindingErrors, defaultBinding, roleErrors } from './rbac.js';
import { configMapErrors, secretErrors } from './secrets-configmaps.js';
import { prepareService, serviceErrors } from './services.js';

interface KindRules {
  /** Defaults and registry preparation; returns errors the registry raises before validation (allocation). */
  prepare?(obj: KubeObject, old: KubeObject | undefined): FieldError[] | void;
  /** What PrepareForCreate sets status to (built-in kinds with a status subresource). */
  initialStatus?(): Record<string, unknown>;
  validate?(obj: KubeObject, old: KubeObject | undefined): FieldError[];
}

const RULES: Record<string, KindRules> = {
  '/namespaces': { prepare: (obj) => labelNamespace(obj), validate: (obj) => namespaceErrors(obj) },
  '/secrets': { validate: secretErrors },
  '/configmaps': { validate: configMapErrors },
  '/services': { prepare: prepareService, initialStatus: () => ({ loadBalancer: {} }), validate: serviceErrors },
  '/events': { validate: (obj, old) => eventErrors(obj, old, false) },
  'events.k8s.io/events': { validate: (obj, old) => eventErrors(obj, old, true) },
  'apps/deployments': { prepare: (obj) => defaultDeployment(obj), initialStatus: () => ({}), validate: deploymentErrors },
  'policy/poddisruptionbudgets': {
    initialStatus: () => ({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
    validate: (obj) => pdbErrors(obj),
  },
  'networking.k8s.io/networkpolicies': { prepare: (obj) => defaultNetworkPolicy(obj), validate: (obj) => networkPolicyErrors(obj) },
  'coordination.k8s.io/leases': { validate: (obj) => leaseErrors(obj) },
  'rbac.authorization.k8s.io/roles': { validate: (obj) => roleErrors(obj, true) },
  'rbac.authorization.k8s.io/clusterroles': { validate: (obj) => roleErrors(obj, false) },
  'rbac.authorization.k8s.io/rolebindings': {
    prepare: (obj) => defaultBinding(obj),
    validate: (obj, old) => bindingErrors(obj, old, true),
  },
  'rbac.authorization.k8s.io/clusterrolebindings': {
    prepare: (obj) => defaultBinding(obj),
    validate: (obj, old) => bindingErrors(obj, old, false),
  },
};

function rulesFor(type: ResourceType): KindRules | undefined {
  return type.custom ? undefined : RULES[`${type.group}/${type.plural}`];
}

/** Defaulting and PrepareForCreate/Update of the main resource. Mutates `obj`, a fresh top-level copy. */
export function prepareBuiltin(
  type: ResourceType,
  obj: KubeObject,
  old: KubeObject | undefined,
  operation: 'create' | 'update',
): FieldError[] {
  const rules = rulesFor(type);
  if (!rules) return [];
  if (operation === 'create' && rules.initialStatus) obj.status = rules.initialStatus();
  return rules.prepare?.(obj, old) ?? [];
}

export function builtinErrors(type: ResourceType, obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  return rulesFor(type)?.validate?.(obj, old) ?? [];
}
