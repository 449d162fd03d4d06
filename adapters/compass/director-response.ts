// Checks the Director's JSON against the shapes of director-types.ts. A field of the wrong type is a
// broken answer (the fetch fails), never silently replaced by a default.
import type {
  CredentialData,
  DirectorAPIDefinition,
  DirectorAuth,
  DirectorEventDefinition,
  Labels,
  MultiValueMap,
} from './director-types.js';
import { isRecord } from '../unknown-values.js';

export class MalformedDirectorDataError extends Error {
  override readonly name = 'MalformedDirectorDataError';
}

type Json = Record<string, unknown>;

function fail(where: string, field: string, expected: string): never {
  throw new MalformedDirectorDataError(`${where}: field ${field} is not ${expected}`);
}

export function asObject(value: unknown, where: string): Json {
  if (!isRecord(value)) throw new MalformedDirectorDataError(`${where} is not an object`);
  return value;
}

export function requiredString(object: Json, field: string, where: string): string {
  const value = object[field];
  if (typeof value !== 'string' || value === '') fail(where, field, 'a non-empty string');
  return value;
}

/**
 * A string that may be empty: a value the conversion checks, so that a bad one fails only the
 * application that carries it (e.g. an empty application name), not the whole fetch.
 */
export function presentString(object: Json, field: string, where: string): string {
  const value = object[field];
  if (typeof value !== 'string') fail(where, field, 'a string');
  return value;
}

export function optionalString(object: Json, field: string, where: string): string | null {
  const value = object[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') fail(where, field, 'a string or null');
  return value;
}

/** Labels scalar: a JSON object (some servers send it as JSON text). */
export function readLabels(value: unknown, where: string): Labels | null {
  if (value === undefined || value === null) return null;
  const parsed = typeof value === 'string' ? parseJson(value, where) : value;
  if (!isRecord(parsed)) throw new MalformedDirectorDataError(`${where} are not a JSON object`);
  return parsed;
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedDirectorDataError(`${where} hold text that is not JSON`);
  }
}

function readMultiValueMap(value: unknown, where: string, field: string): MultiValueMap | null {
  if (value === undefined || value === null) return null;
  const parsed = typeof value === 'string' ? parseJson(value, `${where} ${field}`) : value;
  if (!isRecord(parsed)) fail(where, field, 'an object of string lists');
  const result: MultiValueMap = {};
  for (const [name, values] of Object.entries(parsed)) {
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) fail(where, `${field}.${name}`, 'a list of strings');
    result[name] = values;
  }
  return result;
}

export function readApiDefinition(value: unknown, where: string): DirectorAPIDefinition {
  const api = asObject(value, where);
  const id = requiredString(api, 'id', where);
  const at = `${where} ${id}`;
  return {
    id,
    name: requiredString(api, 'name', at),
    targetURL: typeof api.targetURL === 'string' ? api.targetURL : fail(at, 'targetURL', 'a string'),
  };
}

export function readEventDefinition(value: unknown, where: string): DirectorEventDefinition {
  const event = asObject(value, where);
  const id = requiredString(event, 'id', where);
  const at = `${where} ${id}`;
  return { id, name: requiredString(event, 'name', at) };
}

function readCredential(value: unknown, where: string): CredentialData | null {
  if (value === undefined || value === null) return null;
  const credential = asObject(value, `${where} credential`);
  const typename = typeof credential.__typename === 'string' ? credential.__typename : fail(where, 'credential.__typename', 'a string');
  if (typename === 'BasicCredentialData') {
    return {
      __typename: typename,
      username: requiredText(credential, 'username', where),
      password: requiredText(credential, 'password', where),
    };
  }
  if (typename === 'OAuthCredentialData') {
    return {
      __typename: typename,
      clientId: requiredText(credential, 'clientId', where),
      clientSecret: requiredText(credential, 'clientSecret', where),
      url: requiredText(credential, 'url', where),
    };
  }
  return { __typename: typename };
}

// Credential fields may legitimately be empty strings (the conversion then skips the Secret); the
// value itself never goes into a message.
function requiredText(object: Json, field: string, where: string): string {
  const value = object[field];
  if (typeof value !== 'string') fail(where, `credential.${field}`, 'a string');
  return value;
}

export function readAuth(value: unknown, where: string): DirectorAuth | null {
  if (value === undefined || value === null) return null;
  const auth = asObject(value, `${where} defaultInstanceAuth`);
  const at = `${where} defaultInstanceAuth`;
  let requestAuth: DirectorAuth['requestAuth'] = null;
  if (auth.requestAuth !== undefined && auth.requestAuth !== null) {
    const request = asObject(auth.requestAuth, `${at} requestAuth`);
    if (request.csrf === undefined || request.csrf === null) requestAuth = { csrf: null };
    else
      requestAuth = {
        csrf: {
          tokenEndpointURL: requiredString(asObject(request.csrf, `${at} requestAuth.csrf`), 'tokenEndpointURL', `${at} requestAuth.csrf`),
        },
      };
  }
  return {
    credential: readCredential(auth.credential, at),
    additionalHeaders: readMultiValueMap(auth.additionalHeaders, at, 'additionalHeaders'),
    additionalQueryParams: readMultiValueMap(auth.additionalQueryParams, at, 'additionalQueryParams'),
    requestAuth,
  };
}
