// What the API server does to every object a write is about to store, after the request body is
// decoded and before it reaches storage: custom resources are pruned, defaulted and validated against
// their CRD's structural schema; every object's metadata and the built-in kinds' own fields are
// validated. The store calls `admit` on every create and update (patches and apply end as updates).
import type { KubeObject } from './object-rules.js';
import type { ResourceType } from './resource-types.js';
import { decodeCustomResourceStep, validateCrdSchemasStep, validateCustomResourceStep } from './crd-schema/admission-steps.js';
import { prepareBuiltinWrite, validateWrite } from './write-validation.js';

/** The `fieldValidation` query parameter of writes (kube-apiserver's default is Warn). */
export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface AdmissionContext {
  operation: 'create' | 'update';
  subresource?: 'status';
  fieldValidation: FieldValidation;
  /** Warnings the response carries as `Warning: 299 - "..."` headers (unknown fields under Warn). */
  warnings: string[];
  /**
   * The object the request decoded to, before the store kept or dropped parts of it (status on a
   * create, everything but status on a /status write): the API server finds unknown fields there.
   * For a JSON or merge patch, the patched object.
   */
  decoded?: unknown;
  /** The write is a JSON or merge patch (strict decoding errors read differently then). */
  patch?: boolean;
  /** The write is a server-side apply (its typed conversion refuses unknown fields outright). */
  serverSideApply?: boolean;
}

export type AdmissionStep = (type: ResourceType, obj: KubeObject, old: KubeObject | undefined, context: AdmissionContext) => KubeObject;

/** The steps, in the API server's order; each returns the object to continue with or throws a KubeStatusError. */
const STEPS: AdmissionStep[] = [
  // Decoding (prune, unknown fields, defaults) happens before any validation.
  decodeCustomResourceStep,
  // Built-in kinds: defaults, allocated values, status reset on create (the registry's PrepareFor*).
  prepareBuiltinWrite,
  // Metadata of every kind and the built-in kinds' own fields, in one 422 (write-validation.ts).
  validateWrite,
  // Validation against the schema and CRD schema checks come after the metadata checks.
  validateCustomResourceStep,
  validateCrdSchemasStep,
];

export function admit(type: ResourceType, obj: KubeObject, old: KubeObject | undefined, context: AdmissionContext): KubeObject {
  let current = obj;
  for (const step of STEPS) current = step(type, current, old, context);
  return current;
}
