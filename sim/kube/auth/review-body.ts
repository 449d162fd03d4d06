// Request bodies of the review and token endpoints. These are built-in kinds, so clients built on
// client-go (kubectl auth can-i, kubectl create token) send them as Kubernetes protobuf: the
// `k8s\0` magic, then a runtime.Unknown {typeMeta, raw}, raw being the generated.proto message of
// k8s.io/api authorization/v1 or authentication/v1. JSON and YAML work as for every other kind.
import { parse as parseYaml } from 'yaml';
import { KubeStatusError, badRequest } from '../status-error.js';
import type { ReviewKind } from './review-endpoints.js';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The request object as JSON would give it, whichever of JSON, YAML or protobuf it came in. */
export function decodeReviewBody(contentType: string | undefined, body: Buffer, kind: ReviewKind): unknown {
  const mediaType = (contentType ?? 'application/json').split(';')[0].trim();
  if (mediaType === PROTOBUF) return decodeProtobuf(body, kind);
  const text = body.toString('utf8');
  if (mediaType === 'application/yaml') {
    try {
      return parseYaml(text);
    } catch (error) {
      throw badRequest(`couldn't get version/kind; yaml parse error: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (mediaType !== 'application/json' && mediaType !== '*/*') {
    throw new KubeStatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, ${PROTOBUF}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
  }
}

// ---- protobuf ---------------------------------------------------------------------------------

/** How to turn a message's fields into JSON: name, and a nested schema, 'string', 'int', or a repeated/map form. */
type Field = { name: string; type: 'string' | 'int' | 'strings' | Schema | 'extra' };
type Schema = Record<number, Field>;

const OBJECT_META: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
};
const RESOURCE_ATTRIBUTES: Schema = {
  1: { name: 'namespace', type: 'string' },
  2: { name: 'verb', type: 'string' },
  3: { name: 'group', type: 'string' },
  4: { name: 'version', type: 'string' },
  5: { name: 'resource', type: 'string' },
  6: { name: 'subresource', type: 'string' },
  7: { name: 'name', type: 'string' },
};
const NON_RESOURCE_ATTRIBUTES: Schema = { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } };
const SUBJECT_ACCESS_REVIEW_SPEC: Schema = {
  1: { name: 'resourceAttributes', type: RESOURCE_ATTRIBUTES },
  2: { name: 'nonResourceAttributes', type: NON_RESOURCE_ATTRIBUTES },
  3: { name: 'user', type: 'string' },
  4: { name: 'groups', type: 'strings' },
  5: { name: 'extra', type: 'extra' },
  6: { name: 'uid', type: 'string' },
};
const SCHEMAS: Record<ReviewKind, Schema> = {
  SelfSubjectAccessReview: {
    1: { name: 'metadata', type: OBJECT_META },
    2: {
      name: 'spec',
      type: {
        1: { name: 'resourceAttributes', type: RESOURCE_ATTRIBUTES },
        2: { name: 'nonResourceAttributes', type: NON_RESOURCE_ATTRIBUTES },
      },
    },
  },
  SubjectAccessReview: { 1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'spec', type: SUBJECT_ACCESS_REVIEW_SPEC } },
  LocalSubjectAccessReview: { 1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'spec', type: SUBJECT_ACCESS_REVIEW_SPEC } },
  SelfSubjectRulesReview: {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'spec', type: { 1: { name: 'namespace', type: 'string' } } },
  },
  SelfSubjectReview: { 1: { name: 'metadata', type: OBJECT_META } },
  TokenRequest: {
    1: { name: 'metadata', type: OBJECT_META },
    2: {
      name: 'spec',
      type: {
        1: { name: 'audiences', type: 'strings' },
        3: {
          name: 'boundObjectRef',
          type: {
            1: { name: 'kind', type: 'string' },
            2: { name: 'apiVersion', type: 'string' },
            3: { name: 'name', type: 'string' },
            4: { name: 'uid', type: 'string' },
          },
        },
        4: { name: 'expirationSeconds', type: 'int' },
      },
    },
  },
};
const UNKNOWN: Schema = {
  1: { name: 'typeMeta', type: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } } },
  2: { name: 'raw', type: 'string' },
  4: { name: 'contentType', type: 'string' },
};

function decodeProtobuf(body: Buffer, kind: ReviewKind): unknown {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw badRequest('provided object is not a Kubernetes protobuf message: the magic prefix is missing');
  }
  try {
    const envelope = readMessage(body.subarray(MAGIC.length), UNKNOWN, true);
    const raw = envelope.raw as Buffer | undefined;
    const typeMeta = (envelope.typeMeta ?? {}) as Record<string, unknown>;
    const object = raw ? readMessage(raw, SCHEMAS[kind], false) : {};
    return { apiVersion: typeMeta.apiVersion || undefined, kind: typeMeta.kind || undefined, ...object };
  } catch (error) {
    if (error instanceof KubeStatusError) throw error;
    throw badRequest(`unable to decode the protobuf body: ${(error as Error).message}`);
  }
}

/** Decodes the fields the schema names (others are skipped); `keepBytes` keeps `raw` as bytes. */
function readMessage(buf: Buffer, schema: Schema, keepBytes: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const byte = buf[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const number = key >>> 3;
    const wire = key & 7;
    let value: bigint | Buffer;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const length = Number(varint());
      if (pos + length > buf.length) throw new Error('truncated field');
      value = buf.subarray(pos, pos + length);
      pos += length;
    } else if (wire === 1) {
      pos += 8;
      continue;
    } else if (wire === 5) {
      pos += 4;
      continue;
    } else throw new Error(`unsupported wire type ${wire}`);
    const field = schema[number];
    if (!field) continue;
    if (field.type === 'int') {
      if (typeof value === 'bigint') out[field.name] = Number(BigInt.asIntN(64, value));
    } else if (!Buffer.isBuffer(value)) {
      continue;
    } else if (field.type === 'string') {
      out[field.name] = keepBytes && field.name === 'raw' ? value : value.toString('utf8');
    } else if (field.type === 'strings') {
      ((out[field.name] ??= []) as string[]).push(value.toString('utf8'));
    } else if (field.type === 'extra') {
      // map<string, ExtraValue>: entries {1: key, 2: ExtraValue {1: repeated items}}
      const entry = readMessage(
        value,
        { 1: { name: 'key', type: 'string' }, 2: { name: 'value', type: { 1: { name: 'items', type: 'strings' } } } },
        false,
      );
      const extra = (out[field.name] ??= {}) as Record<string, string[]>;
      extra[String(entry.key ?? '')] = (entry.value as { items?: string[] } | undefined)?.items ?? [];
    } else {
      out[field.name] = readMessage(value, field.type, false);
    }
  }
  return out;
}
