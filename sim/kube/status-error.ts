// Kubernetes `Status` failures, thrown by the store and rendered by the HTTP layer.
import { errorBody, type FieldError } from './field-errors.js';
import { aggregate } from './go-format.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class KubeStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'KubeStatusError';
  }

  toStatus(): Record<string, unknown> {
    return statusObject(this.code, this.reason, this.message, this.details);
  }
}

export function statusObject(code: number, reason: string, message: string, details?: StatusDetails): Record<string, unknown> {
  const status: Record<string, unknown> = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details) status.details = details;
  return status;
}

/** `qualified` is `secrets` for the core group and `widgets.example.com` for named groups. */
export function notFound(qualified: string, name: string, group: string, plural: string): KubeStatusError {
  return new KubeStatusError(404, 'NotFound', `${qualified} "${name}" not found`, detailsFor(name, group, plural));
}

export function alreadyExists(qualified: string, name: string, group: string, plural: string): KubeStatusError {
  return new KubeStatusError(409, 'AlreadyExists', `${qualified} "${name}" already exists`, detailsFor(name, group, plural));
}

export function conflict(qualified: string, name: string, group: string, plural: string, why?: string): KubeStatusError {
  return new KubeStatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified} "${name}": ${why ?? 'the object has been modified; please apply your changes to the latest version and try again'}`,
    detailsFor(name, group, plural),
  );
}

/**
 * 422 Invalid as `errors.NewInvalid` builds it: `Kind.group "name" is invalid: <errors>`, one error
 * as it is, several (duplicates dropped) in brackets, each cause with its type, field and body.
 */
export function invalid(kind: string, name: string, group: string, causes: StatusCause[]): KubeStatusError {
  const texts = causes.map((c) => `${c.field}: ${c.message}`);
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const errors = texts.length === 0 ? '' : `: ${aggregate(texts)}`;
  const details: StatusDetails = { name, kind, causes };
  if (group) details.group = group;
  return new KubeStatusError(422, 'Invalid', `${qualifiedKind} ${JSON.stringify(name)} is invalid${errors}`, details);
}

/** `invalid` from field errors (field-errors.ts). */
export function invalidFields(kind: string, name: string, group: string, errors: FieldError[]): KubeStatusError {
  return invalid(
    kind,
    name,
    group,
    errors.map((e) => ({ reason: e.type, message: errorBody(e), field: e.field })),
  );
}

export function badRequest(message: string): KubeStatusError {
  return new KubeStatusError(400, 'BadRequest', message);
}

export function gone(message: string): KubeStatusError {
  return new KubeStatusError(410, 'Expired', message);
}

function detailsFor(name: string, group: string, plural: string): StatusDetails {
  const details: StatusDetails = { name, kind: plural };
  if (group) details.group = group;
  return details;
}
