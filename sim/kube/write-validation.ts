// The admission steps this package adds (admission.ts): the registry's preparation of a built-in
// object, then one validation pass over metadata and the kind's own fields, failing with a single
// 422 that lists every error, as BeforeCreate / BeforeUpdate do.
import type { AdmissionStep } from './admission.js';
import { deepEqual, type KubeObject } from './object-rules.js';
import { builtinErrors, prepareBuiltin } from './builtin-validation/index.js';
import type { FieldError } from './field-errors.js';
import { createMetadataErrors, kindMeta, metadataWarnings, updateMetadataErrors } from './metadata-validation.js';
import { invalidFields } from './status-error.js';
import { pathSegmentName } from './validation-strings.js';

/**
 * Owner references with the same UID (and otherwise equal) are dropped with a warning
 * (handlers/rest.go dedupOwnerReferencesAndAddWarning): before admission for a create or update,
 * after it for a patch, and the warning says which.
 */
function dedupOwnerReferences(obj: KubeObject, patch: boolean, warnings: string[]): void {
  const refs: unknown = obj.metadata.ownerReferences;
  if (!Array.isArray(refs) || refs.length < 2) return;
  const kept: unknown[] = [];
  const duplicates: string[] = [];
  for (const ref of refs) {
    if (kept.some((k) => deepEqual(k, ref))) duplicates.push(String((ref as { uid?: unknown })?.uid ?? ''));
    else kept.push(ref);
  }
  if (duplicates.length === 0) return;
  warnings.push(
    `.metadata.ownerReferences contains duplicate entries${patch ? ' after mutating admission happens' : ''}; API server dedups owner references in 1.20+, and may reject such requests as early as 1.24; please fix your requests; duplicate UID(s) observed: ${duplicates.join(', ')}`,
  );
  obj.metadata = { ...obj.metadata, ownerReferences: kept };
}

/** Defaults, allocated values and status reset (PrepareForCreate / PrepareForUpdate) of built-in kinds. */
export const prepareBuiltinWrite: AdmissionStep = (type, obj, old, context) => {
  if (context.subresource === 'status') return obj;
  dedupOwnerReferences(obj, context.patch === true, context.warnings);
  const errs = prepareBuiltin(type, obj, old, context.operation);
  if (errs.length > 0) throw invalidFields(type.kind, obj.metadata.name ?? '', type.group, errs);
  return obj;
};

export const validateWrite: AdmissionStep = (type, obj, old, context) => {
  let errs: FieldError[];
  if (context.operation === 'create' || !old) {
    const kindErrs = builtinErrors(type, obj, undefined);
    if (kindMeta(type).strategyValidatesMeta) {
      errs = [...createMetadataErrors(type, obj), ...kindErrs];
    } else {
      // The strategy checks only the kind's fields; BeforeCreate checks metadata once those pass.
      errs = kindErrs.length > 0 ? kindErrs : createMetadataErrors(type, obj, pathSegmentName);
    }
  } else if (context.subresource === 'status') {
    errs = updateMetadataErrors(type, obj, old);
  } else {
    errs = [...updateMetadataErrors(type, obj, old), ...builtinErrors(type, obj, old)];
  }
  if (errs.length > 0) throw invalidFields(type.kind, obj.metadata.name ?? '', type.group, errs);
  if (context.subresource !== 'status') context.warnings.push(...metadataWarnings(type, obj, old));
  return obj;
};
