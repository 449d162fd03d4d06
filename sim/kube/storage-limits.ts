// The two size limits of a write: kube-apiserver reads at most 3 MiB of request body
// (server/config.go MaxRequestBodyBytes; handlers/rest.go limitedReadBody answers 413
// "Request entity too large: limit is 3145728"), and etcd refuses a request over 1.5 MiB
// (--max-request-bytes), which reaches the client as a 500 whose message is etcd's own
// ("etcdserver: request is too large", handlers/rest.go isTooLargeError; responsewriters.ErrorToAPIStatus
// gives it no reason).
import type { IncomingMessage } from 'node:http';
import { KubeStatusError, statusObject } from './status-error.js';
import type { KubeObject } from './object-rules.js';
import type { ResourceType } from './resource-types.js';

export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;
export const ETCD_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

/** The etcd transaction around the value: the key three times (compare, put, range-on-failure) plus framing. */
const TXN_FRAMING_BYTES = 64;

export function requestEntityTooLarge(): KubeStatusError {
  return new KubeStatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_REQUEST_BODY_BYTES}`);
}

/** An oversized body is read to its end up to this size, then the connection is closed. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/**
 * The body, or 413 past MAX_REQUEST_BODY_BYTES (limitedReadBody). The rest of an oversized body is read
 * and dropped, so the 413 reaches the client and the keep-alive connection stays usable (HTTP/2 resets
 * just the stream; here every request shares the connection); past DRAIN_LIMIT it is closed instead.
 */
export function readRequestBytes(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT) {
        req.destroy();
        return;
      }
      if (size <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => (size > MAX_REQUEST_BODY_BYTES ? reject(requestEntityTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/** A Status with an empty reason, which the API server leaves out of the JSON. */
class UnknownReasonError extends KubeStatusError {
  constructor(code: number, message: string) {
    super(code, '', message);
  }

  override toStatus(): Record<string, unknown> {
    const { reason: _reason, ...status } = statusObject(this.code, '', this.message);
    return status;
  }
}

function storageKey(type: ResourceType, obj: KubeObject): string {
  const prefix = type.custom ? `/registry/${type.group}/${type.plural}` : `/registry/${type.plural}`;
  return type.namespaced ? `${prefix}/${obj.metadata.namespace}/${obj.metadata.name}` : `${prefix}/${obj.metadata.name}`;
}

function countOf(text: string, ch: string): number {
  let n = 0;
  for (let i = text.indexOf(ch); i >= 0; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

/** Bytes a base64 string decodes to. */
function decodedLength(value: unknown): number {
  if (typeof value !== 'string') return 0;
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  return Math.floor((value.length * 3) / 4) - padding;
}

/**
 * The size of the value etcd would store. Custom resources are stored as Go's encoding/json output
 * (HTML characters escaped as \u003c, a trailing newline); built-in kinds as protobuf, where Secret
 * and ConfigMap payloads are raw bytes, so those are counted decoded and the rest as compact JSON,
 * which is never smaller than the protobuf encoding. One serialization per write.
 */
export function storedSize(type: ResourceType, obj: KubeObject): number {
  if (type.custom) {
    const json = JSON.stringify(obj);
    return Buffer.byteLength(json, 'utf8') + 5 * (countOf(json, '<') + countOf(json, '>') + countOf(json, '&')) + 1;
  }
  let payload = 0;
  let rest: Record<string, unknown> = obj;
  if (obj.data !== undefined || obj.binaryData !== undefined) {
    const { data, binaryData, ...others } = obj;
    rest = others;
    const secret = type.group === '' && type.plural === 'secrets';
    for (const value of Object.values((data ?? {}) as Record<string, unknown>)) {
      payload += secret ? decodedLength(value) : typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0;
    }
    for (const value of Object.values((binaryData ?? {}) as Record<string, unknown>)) payload += decodedLength(value);
  }
  return Buffer.byteLength(JSON.stringify(rest), 'utf8') + payload;
}

/** Throws what the API server answers when etcd refuses the write for its size. */
export function checkStoredSize(type: ResourceType, obj: KubeObject): void {
  const size = storedSize(type, obj) + 3 * Buffer.byteLength(storageKey(type, obj), 'utf8') + TXN_FRAMING_BYTES;
  if (size > ETCD_MAX_REQUEST_BYTES) throw new UnknownReasonError(500, 'etcdserver: request is too large');
}
