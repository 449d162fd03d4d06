// What the API server does to every object a write is about to store, after the request body is
// decoded and before it reaches storage: custom resources are pruned, defaulted and validated against
// their CRD's structural schema; every object's metadata and the built-in kinds' own fields are
// validated. The store calls `admit` on every create and update (patches and apply end as updates).
import type { KubeObject } from './object-rules.js';
import type { ResourceType } from './resource-types.js';

/** The `fieldValidation` query parameter of writes (kube-apiserver's default is Warn). */
export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface AdmissionContext {
  operation: 'create' | 'update';
  subresource?: 'status';
  fieldValidation: FieldValidation;
  /** Warnings the response carries as `Warning: 299 - "..."` headers (unknown fields under Warn). */
  warnings: string[];
}

export type AdmissionStep = (type: ResourceType, obj: KubeObject, old: KubeObject | undefined, context: AdmissionContext) => KubeObject;

/** The steps, in the API server's order; each returns the object to continue with or throws a KubeStatusError. */
const STEPS: AdmissionStep[] = [];

export function admit(type: ResourceType, obj: KubeObject, old: KubeObject | undefined, context: AdmissionContext): KubeObject {
  let current = obj;
  for (const step of STEPS) current = step(type, current, old, context);
  return current;
}
