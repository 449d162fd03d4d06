// Director error presentation (compass-api.md §2.6): typed errors carry extensions
// {error_code, error}; anything else is masked as an internal error with a fresh error id.
import { randomUUID } from 'node:crypto';

export const directorErrorCodes = {
  InternalError: 10,
  UnknownError: 11,
  NotFound: 20,
  NotUnique: 21,
  InvalidData: 22,
  InsufficientScopes: 23,
  TenantRequired: 24,
  TenantNotFound: 25,
  Unauthorized: 26,
  InvalidOperation: 27,
  OperationTimeout: 28,
  EmptyData: 29,
  InconsistentData: 30,
} as const;

export type DirectorErrorName = keyof typeof directorErrorCodes;

export class DirectorError extends Error {
  constructor(
    readonly errorName: DirectorErrorName,
    message: string,
  ) {
    super(message);
    this.name = 'DirectorError';
  }

  get extensions(): { error_code: number; error: DirectorErrorName } {
    return { error_code: directorErrorCodes[this.errorName], error: this.errorName };
  }
}

/** `<Message> [k=v; k=v]` with the arguments sorted by key. */
export function formatDirectorMessage(message: string, args: Record<string, string> = {}): string {
  const keys = Object.keys(args).sort();
  if (keys.length === 0) return message;
  return `${message} [${keys.map((key) => `${key}=${args[key]}`).join('; ')}]`;
}

export function invalidData(reason: string): DirectorError {
  return new DirectorError('InvalidData', formatDirectorMessage('Invalid data', { reason }));
}

export function maskedInternalError(): DirectorError {
  return new DirectorError('InternalError', formatDirectorMessage('Internal Server Error', { errorID: randomUUID() }));
}

export function tenantNotFound(externalTenant: string): DirectorError {
  return new DirectorError('TenantNotFound', formatDirectorMessage('Tenant not found', { externalTenant }));
}

export function unauthorized(reason: string): DirectorError {
  return new DirectorError('Unauthorized', formatDirectorMessage('Unauthorized', { reason }));
}
