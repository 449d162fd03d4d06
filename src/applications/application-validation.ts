// Director data the conversion cannot turn into objects an API server accepts, or into names that are
// safe to write: such an application is not applied at all (its existing Application and Secrets are
// kept) and the synchronisation names it. Ids are checked before they form a name. Pure.

import type { DirectorApplication } from '../../adapters/compass/director-types.js';
import { SECRET_BUNDLE_LABEL } from './application-resource.js';
import type { DesiredApplication } from './converter.js';
import { isCompassId, isObjectName, MAX_COMPASS_ID_LENGTH, MAX_OBJECT_NAME_LENGTH } from './naming.js';
import { protectedSecretAt, type ProtectedSecret } from './protected-secrets.js';

/**
 * The largest Application (as JSON) the agent sends. etcd stores at most 1.5 MiB per object by
 * default (--max-request-bytes) and the API server adds metadata (managedFields) to what it is sent;
 * the API server itself refuses request bodies above 3 MiB.
 */
export const MAX_APPLICATION_BYTES = 1024 * 1024;
/** The API server's limit on the data of one Secret (the sum of the value sizes, core/v1 MaxSecretSize). */
export const MAX_SECRET_DATA_BYTES = 1024 * 1024;

const QUOTED_LENGTH = 64;

/** Director text as it may appear in a status message: JSON-quoted and cut short. */
export function quoted(text: string): string {
  return JSON.stringify(text.length > QUOTED_LENGTH ? `${text.slice(0, QUOTED_LENGTH)}…` : text);
}

/** A Director id for a message: as it is when it is a valid id, quoted otherwise. */
export function idText(id: string): string {
  return isCompassId(id) ? id : quoted(id);
}

const ID_RULE = `lowercase letters, digits and '-', at most ${MAX_COMPASS_ID_LENGTH} characters`;

function decodedSize(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/**
 * Why `app` (converted into `desired`) cannot be applied; empty when it can. `protectedSecrets` are
 * Secrets no Application may name (protected-secrets.ts). Messages quote Director names and ids, never
 * descriptions or credentials.
 */
export function applicationProblems(
  app: DirectorApplication,
  desired: DesiredApplication,
  protectedSecrets: readonly ProtectedSecret[] = [],
): string[] {
  const problems: string[] = [];
  if (!isCompassId(app.id)) problems.push(`its id ${quoted(app.id)} is not a Compass id (${ID_RULE})`);
  let namesValid = true;
  if (app.name === '') {
    problems.push('its name is empty');
    namesValid = false;
  } else if (!isObjectName(desired.name)) {
    problems.push(
      `its name ${quoted(desired.name)} is not a valid Application name (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most ${MAX_OBJECT_NAME_LENGTH} characters; with the runtime label isNormalized=true names are taken as the Director sends them)`,
    );
    namesValid = false;
  }
  const seen = new Set<string>();
  for (const bundle of app.bundles) {
    if (!isCompassId(bundle.id)) {
      problems.push(`bundle id ${quoted(bundle.id)} is not a Compass id (${ID_RULE})`);
      namesValid = false;
    } else if (seen.has(bundle.id)) {
      problems.push(`bundle id ${quoted(bundle.id)} appears more than once`);
    }
    seen.add(bundle.id);
  }
  // Secret names are only worth checking once the parts they are made of are valid.
  if (namesValid) {
    for (const secret of desired.secrets) {
      const { namespace, name } = secret.metadata;
      const bundleId = secret.metadata.labels?.[SECRET_BUNDLE_LABEL] ?? '';
      const guarded = protectedSecretAt(protectedSecrets, namespace, name);
      if (guarded) {
        problems.push(
          `the Secret of bundle ${bundleId} would be ${namespace}/${name}, which is ${guarded.role}; the agent never writes or deletes it for an Application: rename the application or the bundle in Compass`,
        );
      } else if (!isObjectName(name)) {
        problems.push(`the Secret name ${quoted(name)} formed for bundle ${bundleId} is not a valid Kubernetes object name`);
      }
      const size = Object.values(secret.data ?? {}).reduce((sum, value) => sum + decodedSize(value), 0);
      if (size > MAX_SECRET_DATA_BYTES) {
        problems.push(
          `the Secret of bundle ${bundleId} would hold ${size} bytes of data, more than the ${MAX_SECRET_DATA_BYTES} the API server accepts`,
        );
      }
    }
  }
  const size = Buffer.byteLength(JSON.stringify(desired.application));
  if (size > MAX_APPLICATION_BYTES) {
    const description = Buffer.byteLength(app.description ?? '');
    problems.push(
      `the Application would be ${size} bytes (its description ${description}), more than the ${MAX_APPLICATION_BYTES} the agent sends to the API server (etcd stores at most 1.5 MiB per object)`,
    );
  }
  return problems;
}
