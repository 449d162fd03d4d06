// Namespaces (pkg/apis/core/validation ValidateNamespace; the registry's name label).
import { fieldError, type FieldError } from '../field-errors.js';
import type { KubeObject } from '../object-rules.js';
import { isQualifiedName } from '../validation-strings.js';

const STANDARD = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** Since v1.22 every namespace carries kubernetes.io/metadata.name=<name>, set on each write. */
export function labelNamespace(obj: KubeObject): void {
  const name = obj.metadata.name;
  if (typeof name !== 'string' || name === '') return;
  if (obj.metadata.labels?.['kubernetes.io/metadata.name'] === name) return;
  obj.metadata = { ...obj.metadata, labels: { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name } };
}

export function namespaceErrors(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const finalizers: unknown[] = Array.isArray(obj.spec?.finalizers) ? obj.spec.finalizers : [];
  for (const raw of finalizers) {
    const finalizer = String(raw);
    for (const msg of isQualifiedName(finalizer)) errs.push(fieldError.invalid('spec.finalizers', finalizer, msg));
    if (!finalizer.includes('/') && !STANDARD.has(finalizer)) {
      errs.push(fieldError.invalid('spec.finalizers', finalizer, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  return errs;
}
