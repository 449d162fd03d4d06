// Object metadata validation as kube-apiserver v1.32 runs it on every write, for every kind
// (k8s.io/apimachinery pkg/api/validation/objectmeta.go, pkg/apis/meta/v1/validation, and the core
// wrapper that adds the "standard finalizer" rule for built-in kinds): names per kind, generateName,
// labels, annotations and their total size, ownerReferences, finalizers, and on update the fields
// that may not change. Returns field errors; write-validation.ts turns them into the 422.
import { fieldError, type FieldError } from './field-errors.js';
import { goPointer, goQuote, goStringSlice, invalidGo } from './go-values.js';
import type { KubeObject } from './object-rules.js';
import type { ResourceType } from './resource-types.js';
import {
  byteLength,
  isQualifiedName,
  isValidLabelValue,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  pathSegmentName,
  type NameRule,
} from './validation-strings.js';

/** pkg/api/validation TotalAnnotationSizeLimitB. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const FIELD_IMMUTABLE = 'field is immutable';
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

interface KindMeta {
  /** The name rule the kind's strategy validates metadata.name and generateName with. */
  name: NameRule;
  /**
   * False where the strategy's Validate does not validate ObjectMeta (PodDisruptionBudget, core/v1
   * Event): BeforeCreate then checks metadata only once the kind's own checks passed, with the
   * path-segment rule.
   */
  strategyValidatesMeta: boolean;
  /** Built-in kinds validated through pkg/apis/core/validation.ValidateObjectMeta: finalizers without '/' must be standard. */
  kubeFinalizers: boolean;
}

const SUBDOMAIN: KindMeta = { name: nameIsDNSSubdomain, strategyValidatesMeta: true, kubeFinalizers: true };
const KIND_META: Record<string, KindMeta> = {
  '/namespaces': { name: nameIsDNSLabel, strategyValidatesMeta: true, kubeFinalizers: true },
  '/services': { name: nameIsDNS1035Label, strategyValidatesMeta: true, kubeFinalizers: true },
  '/events': { name: pathSegmentName, strategyValidatesMeta: false, kubeFinalizers: false },
  // The same registry serves both Event APIs.
  'events.k8s.io/events': { name: pathSegmentName, strategyValidatesMeta: false, kubeFinalizers: false },
  'policy/poddisruptionbudgets': { name: pathSegmentName, strategyValidatesMeta: false, kubeFinalizers: false },
  'rbac.authorization.k8s.io/roles': { name: pathSegmentName, strategyValidatesMeta: true, kubeFinalizers: true },
  'rbac.authorization.k8s.io/rolebindings': { name: pathSegmentName, strategyValidatesMeta: true, kubeFinalizers: true },
  'rbac.authorization.k8s.io/clusterroles': { name: pathSegmentName, strategyValidatesMeta: true, kubeFinalizers: true },
  'rbac.authorization.k8s.io/clusterrolebindings': { name: pathSegmentName, strategyValidatesMeta: true, kubeFinalizers: true },
};
/** Custom resources: NameIsDNSSubdomain, finalizer names only warned about. */
const CUSTOM: KindMeta = { name: nameIsDNSSubdomain, strategyValidatesMeta: true, kubeFinalizers: false };
/** CRDs: the name must be plural.group (checked with the CRD itself), apimachinery's ObjectMeta rules otherwise. */
const CRD: KindMeta = { name: () => [], strategyValidatesMeta: true, kubeFinalizers: false };

export function kindMeta(type: ResourceType): KindMeta {
  if (type.custom) return CUSTOM;
  if (type.group === 'apiextensions.k8s.io') return CRD;
  return KIND_META[`${type.group}/${type.plural}`] ?? SUBDOMAIN;
}

/** ValidateLabels (pkg/apis/meta/v1/validation): keys are qualified names, values label values. */
export function labelErrors(labels: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isMap(labels)) return errs;
  for (const [key, value] of Object.entries(labels)) {
    for (const msg of isQualifiedName(key)) errs.push(fieldError.invalid(field, key, msg));
    if (typeof value !== 'string') continue;
    for (const msg of isValidLabelValue(value)) errs.push(fieldError.invalid(field, value, msg));
  }
  return errs;
}

/** ValidateAnnotations: keys are qualified names (case does not matter), keys and values together at most 256 KiB. */
export function annotationErrors(annotations: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isMap(annotations)) return errs;
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(key.toLowerCase())) errs.push(fieldError.invalid(field, key, msg));
    total += byteLength(key) + (typeof value === 'string' ? byteLength(value) : 0);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(fieldError.tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

/** The version of an apiVersion as schema.ParseGroupVersion reads it ('' when it cannot be parsed). */
function versionOf(apiVersion: string): { group: string; version: string } {
  if (apiVersion === '') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: parts[0] };
  if (parts.length === 2) return { group: parts[0], version: parts[1] };
  return { group: '', version: '' };
}

function goOwnerReference(ref: Record<string, any>): string {
  return (
    `v1.OwnerReference{APIVersion:${goQuote(str(ref.apiVersion))}, Kind:${goQuote(str(ref.kind))}, Name:${goQuote(str(ref.name))}, UID:${goQuote(str(ref.uid))}, ` +
    `Controller:${goPointer('bool', ref.controller !== undefined && ref.controller !== null)}, BlockOwnerDeletion:${goPointer('bool', ref.blockOwnerDeletion !== undefined && ref.blockOwnerDeletion !== null)}}`
  );
}

/** ValidateOwnerReferences. */
export function ownerReferenceErrors(refs: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(refs)) return errs;
  let firstController = '';
  for (const raw of refs) {
    const ref = isMap(raw) ? raw : {};
    const gv = versionOf(str(ref.apiVersion));
    if (gv.version === '') errs.push(fieldError.invalid(`${field}.apiVersion`, str(ref.apiVersion), 'version must not be empty'));
    if (str(ref.kind) === '') errs.push(fieldError.invalid(`${field}.kind`, str(ref.kind), 'kind must not be empty'));
    if (str(ref.name) === '') errs.push(fieldError.invalid(`${field}.name`, str(ref.name), 'name must not be empty'));
    if (str(ref.uid) === '') errs.push(fieldError.invalid(`${field}.uid`, str(ref.uid), 'uid must not be empty'));
    if (gv.group === '' && gv.version === 'v1' && str(ref.kind) === 'Event') {
      errs.push(invalidGo(field, goOwnerReference(ref), '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const current = `${str(ref.kind)}/${str(ref.name)}`;
      if (firstController !== '') {
        const all = `[]v1.OwnerReference{${refs.map((r) => goOwnerReference(isMap(r) ? r : {})).join(', ')}}`;
        errs.push(
          invalidGo(
            field,
            all,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

/** ValidateFinalizers: qualified names, and not both orphan and foregroundDeletion. */
export function finalizerErrors(finalizers: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(finalizers)) return errs;
  for (const finalizer of finalizers) {
    for (const msg of isQualifiedName(str(finalizer))) errs.push(fieldError.invalid(field, str(finalizer), msg));
  }
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(invalidGo(field, goStringSlice(finalizers), 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/** validateKubeFinalizerName of the core wrapper: a finalizer without '/' must be a standard one. */
function kubeFinalizerErrors(finalizers: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(finalizers)) return errs;
  finalizers.forEach((finalizer, i) => {
    const name = str(finalizer);
    if (!name.includes('/') && !STANDARD_FINALIZERS.has(name)) {
      errs.push(fieldError.invalid(`${field}[${i}]`, name, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}

/** The warnings a custom resource's new finalizers get (apiextensions-apiserver validateKubeFinalizerName). */
function finalizerWarnings(obj: KubeObject, old: KubeObject | undefined): string[] {
  const finalizers: unknown = obj.metadata.finalizers;
  if (!Array.isArray(finalizers)) return [];
  const before = new Set<string>(Array.isArray(old?.metadata.finalizers) ? old.metadata.finalizers.map(str) : []);
  const added = [...new Set(finalizers.map(str))].filter((f) => !before.has(f)).sort();
  const warnings: string[] = [];
  for (const finalizer of added) {
    for (const msg of isQualifiedName(finalizer)) warnings.push(`metadata.finalizers: ${goQuote(finalizer)}: ${msg}`);
    if (!finalizer.includes('/') && !STANDARD_FINALIZERS.has(finalizer)) {
      warnings.push(
        finalizer.includes('.')
          ? `metadata.finalizers: ${goQuote(finalizer)}: prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers`
          : `metadata.finalizers: ${goQuote(finalizer)}: prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers`,
      );
    }
  }
  return warnings;
}

/** Labels, annotations, ownerReferences and finalizers: checked on create and on every update. */
function commonErrors(type: ResourceType, meta: Record<string, any>): FieldError[] {
  const errs = [
    ...labelErrors(meta.labels, 'metadata.labels'),
    ...annotationErrors(meta.annotations, 'metadata.annotations'),
    ...ownerReferenceErrors(meta.ownerReferences, 'metadata.ownerReferences'),
    ...finalizerErrors(meta.finalizers, 'metadata.finalizers'),
  ];
  if (kindMeta(type).kubeFinalizers) errs.push(...kubeFinalizerErrors(meta.finalizers, 'metadata.finalizers'));
  return errs;
}

/** ValidateObjectMeta on create, after name generation, with the kind's name rule. */
export function createMetadataErrors(type: ResourceType, obj: KubeObject, nameRule?: NameRule): FieldError[] {
  const meta = obj.metadata;
  const rule = nameRule ?? kindMeta(type).name;
  const errs: FieldError[] = [];
  const generateName = str(meta.generateName);
  if (generateName !== '') {
    for (const msg of rule(generateName, true)) errs.push(fieldError.invalid('metadata.generateName', generateName, msg));
  }
  const name = str(meta.name);
  if (name === '') errs.push(fieldError.required('metadata.name', 'name or generateName is required'));
  else for (const msg of rule(name, false)) errs.push(fieldError.invalid('metadata.name', name, msg));
  if (typeof meta.generation === 'number' && meta.generation < 0)
    errs.push(fieldError.invalid('metadata.generation', meta.generation, 'must be greater than or equal to 0'));
  errs.push(...commonErrors(type, meta));
  return errs;
}

/** ValidateObjectMetaAccessorUpdate (and the common checks BeforeUpdate repeats). */
export function updateMetadataErrors(type: ResourceType, obj: KubeObject, old: KubeObject): FieldError[] {
  const meta = obj.metadata;
  const before = old.metadata;
  const errs: FieldError[] = [];
  if (before.deletionTimestamp) {
    const had = new Set<string>(Array.isArray(before.finalizers) ? before.finalizers.map(str) : []);
    const extra = [...new Set<string>(Array.isArray(meta.finalizers) ? meta.finalizers.map(str) : [])].filter((f) => !had.has(f)).sort();
    if (extra.length > 0) {
      errs.push(
        fieldError.forbidden(
          'metadata.finalizers',
          `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(extra)}`,
        ),
      );
    }
  }
  if (str(meta.uid) !== str(before.uid)) errs.push(fieldError.invalid('metadata.uid', str(meta.uid), FIELD_IMMUTABLE));
  if ((meta.deletionTimestamp ?? null) !== (before.deletionTimestamp ?? null)) {
    errs.push(invalidGo('metadata.deletionTimestamp', goTime(meta.deletionTimestamp), FIELD_IMMUTABLE));
  }
  if ((meta.deletionGracePeriodSeconds ?? null) !== (before.deletionGracePeriodSeconds ?? null)) {
    errs.push(
      meta.deletionGracePeriodSeconds === undefined || meta.deletionGracePeriodSeconds === null
        ? invalidGo('metadata.deletionGracePeriodSeconds', 'null', FIELD_IMMUTABLE)
        : fieldError.invalid('metadata.deletionGracePeriodSeconds', meta.deletionGracePeriodSeconds, FIELD_IMMUTABLE),
    );
  }
  errs.push(...commonErrors(type, meta));
  return errs;
}

/** Warnings the write gets for its metadata (custom resources' finalizer names). */
export function metadataWarnings(type: ResourceType, obj: KubeObject, old: KubeObject | undefined): string[] {
  return type.custom ? finalizerWarnings(obj, old) : [];
}

/** How %v prints a *metav1.Time: `2024-01-01 00:00:00 +0000 UTC`, or null. */
function goTime(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  const at = new Date(String(value));
  if (Number.isNaN(at.getTime())) return goQuote(String(value));
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

function isMap(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}
