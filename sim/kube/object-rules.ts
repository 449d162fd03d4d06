// Pure rules the apiserver applies to object metadata: names, timestamps, equality, type-specific defaults.
import type { ResourceType } from './resource-types.js';

export type KubeObject = Record<string, any> & { metadata: Record<string, any> };

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** RFC 3339 with second precision, as the apiserver serialises metav1.Time. */
export function kubeTimestamp(at: Date = new Date()): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** names.SimpleNameGenerator: the prefix cut to 58 characters, then 5 random ones. */
export function generatedName(prefix: string): string {
  prefix = prefix.slice(0, 58);
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return prefix + suffix;
}

// Names, labels and the rest of metadata are validated in metadata-validation.ts (an admission step).

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

/** Whether anything but metadata (and status, when it is a subresource) differs: that bumps generation. */
export function specChanged(type: ResourceType, before: KubeObject, after: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
    return type.statusSubresource ? rest : { ...rest, status: _s };
  };
  return !deepEqual(strip(before), strip(after));
}

/** Type-specific server behaviour on every write (defaults and the Secret stringData fold). */
export function applyTypeDefaults(type: ResourceType, obj: KubeObject): void {
  if (type.group === '' && type.plural === 'secrets') {
    if (obj.stringData && typeof obj.stringData === 'object') {
      obj.data = { ...(obj.data ?? {}) };
      for (const [key, value] of Object.entries(obj.stringData)) obj.data[key] = Buffer.from(String(value)).toString('base64');
      delete obj.stringData;
    }
    if (!obj.type) obj.type = 'Opaque';
  }
  if (type.group === '' && type.plural === 'namespaces') {
    obj.spec = { finalizers: ['kubernetes'], ...(obj.spec ?? {}) };
    obj.status = { phase: 'Active', ...(obj.status ?? {}) };
  }
}

/** The status a real apiserver gives a CRD once its names are accepted. */
export function establishedCrdStatus(crd: KubeObject, now: string): Record<string, unknown> {
  const storage = (crd.spec?.versions ?? []).find((v: { storage?: boolean }) => v.storage)?.name;
  return {
    conditions: [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
      {
        type: 'Established',
        status: 'True',
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
        lastTransitionTime: now,
      },
    ],
    acceptedNames: crd.spec?.names ?? {},
    storedVersions: storage ? [storage] : [],
  };
}
