// Secrets and ConfigMaps (pkg/apis/core/validation ValidateSecret, ValidateSecretUpdate,
// ValidateConfigMap, ValidateConfigMapUpdate as of v1.32): keys, the 1 MiB total, the type of a
// Secret, and `immutable: true`.
import { deepEqual, type KubeObject } from '../object-rules.js';
import { fieldError, type FieldError } from '../field-errors.js';
import { byteLength, isConfigMapKey } from '../validation-strings.js';

/** core.MaxSecretSize, also the ConfigMap limit. */
export const MAX_SECRET_SIZE = 1024 * 1024;
const IMMUTABLE_WHEN_SET = 'field is immutable when `immutable` is set';

/** Bytes a base64 value decodes to, without decoding it. */
function decodedLength(value: unknown): number {
  if (typeof value !== 'string') return 0;
  const clean = value.length % 4 === 0 && !value.includes('\n') ? value : value.replace(/[\r\n]/g, '');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.floor((clean.length * 3) / 4) - padding;
}

function entries(map: unknown): [string, unknown][] {
  return typeof map === 'object' && map !== null && !Array.isArray(map) ? Object.entries(map) : [];
}

/** apiequality.Semantic: an empty map equals an absent one. */
function sameMap(a: unknown, b: unknown): boolean {
  const norm = (m: unknown) => (entries(m).length > 0 ? m : null);
  return deepEqual(norm(a), norm(b));
}

function has(map: unknown, key: string): boolean {
  return typeof map === 'object' && map !== null && Object.prototype.hasOwnProperty.call(map, key);
}

export function secretErrors(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  if (old) {
    if ((obj.type ?? '') !== (old.type ?? '')) errs.push(fieldError.invalid('type', obj.type ?? '', 'field is immutable'));
    if (old.immutable === true) {
      if (obj.immutable !== true) errs.push(fieldError.forbidden('immutable', IMMUTABLE_WHEN_SET));
      if (!sameMap(obj.data, old.data)) errs.push(fieldError.forbidden('data', IMMUTABLE_WHEN_SET));
    }
  }
  let total = 0;
  for (const [key, value] of entries(obj.data)) {
    for (const msg of isConfigMapKey(key)) errs.push(fieldError.invalid(`data[${key}]`, key, msg));
    total += decodedLength(value);
  }
  if (total > MAX_SECRET_SIZE) errs.push(fieldError.tooLong('data', MAX_SECRET_SIZE));
  const data = obj.data;
  switch (obj.type) {
    case 'kubernetes.io/service-account-token':
      if (!obj.metadata.annotations?.['kubernetes.io/service-account.name'])
        errs.push(fieldError.required('metadata.annotations[kubernetes.io/service-account.name]', ''));
      break;
    case 'kubernetes.io/dockercfg':
      if (!has(data, '.dockercfg')) errs.push(fieldError.required('data[.dockercfg]', ''));
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!has(data, '.dockerconfigjson')) errs.push(fieldError.required('data[.dockerconfigjson]', ''));
      break;
    case 'kubernetes.io/basic-auth':
      // The path really reads `data[%s][username]`: the Go code passes a format string to NewPath.
      if (!has(data, 'username') && !has(data, 'password')) {
        errs.push(fieldError.required('data[%s][username]', ''), fieldError.required('data[%s][password]', ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (decodedLength(data?.['ssh-privatekey']) === 0) errs.push(fieldError.required('data[%s][ssh-privatekey]', ''));
      break;
    case 'kubernetes.io/tls':
      if (!has(data, 'tls.crt')) errs.push(fieldError.required('data[tls.crt]', ''));
      if (!has(data, 'tls.key')) errs.push(fieldError.required('data[tls.key]', ''));
      break;
    default:
      break;
  }
  return errs;
}

export function configMapErrors(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  if (old?.immutable === true) {
    if (obj.immutable !== true) errs.push(fieldError.forbidden('immutable', IMMUTABLE_WHEN_SET));
    if (!sameMap(obj.data, old.data)) errs.push(fieldError.forbidden('data', IMMUTABLE_WHEN_SET));
    if (!sameMap(obj.binaryData, old.binaryData)) errs.push(fieldError.forbidden('binaryData', IMMUTABLE_WHEN_SET));
  }
  let total = 0;
  for (const [key, value] of entries(obj.data)) {
    for (const msg of isConfigMapKey(key)) errs.push(fieldError.invalid(`data[${key}]`, key, msg));
    if (has(obj.binaryData, key)) errs.push(fieldError.invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
    total += typeof value === 'string' ? byteLength(value) : 0;
  }
  for (const [key, value] of entries(obj.binaryData)) {
    for (const msg of isConfigMapKey(key)) errs.push(fieldError.invalid(`binaryData[${key}]`, key, msg));
    total += decodedLength(value);
  }
  // The path is the root: field.NewPath("") prints as "[]".
  if (total > MAX_SECRET_SIZE) errs.push(fieldError.tooLong('[]', MAX_SECRET_SIZE));
  return errs;
}
