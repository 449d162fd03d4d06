// The agent-owned fields of an Application (spec.description, spec.labels, spec.services,
// spec.compassMetadata) as one digest, so the sync can compare a stored Application with the desired
// one without keeping either object: equal digests ⟺ semantically equal owned fields (key order ignored,
// an absent member equal to null; test/helpers/semantic-equality.ts is the oracle the tests compare with).

import { hash } from 'node:crypto';
import type { ApplicationSpec } from './application-resource.js';
import { isRecord } from '../../adapters/unknown-values.js';

/** JSON with sorted keys and without null/undefined object members: semantically equal values give the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const object = value;
    const members = Object.keys(object)
      .filter((key) => object[key] != null)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Digest of the owned spec fields; `spec` may be partial (a user's edit can remove anything). */
export function ownedFieldsDigest(spec: Partial<ApplicationSpec> | undefined): string {
  const s = spec ?? {};
  return hash('sha256', canonicalJson([s.description, s.labels, s.services, s.compassMetadata]), 'base64');
}
