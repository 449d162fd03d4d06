// Whether a stored Secret is one the agent created for an Application: the synchronisation replaces or
// deletes only those. A name alone proves nothing (names are built from Director data), nor do labels
// alone (anyone can set them, and a long name's `app` label is shortened): the Secret must carry an
// owner reference to that very Application (its name and uid, which the API server assigned) and the
// agent's labels. Pure.

import {
  APPLICATION_API_VERSION,
  APPLICATION_KIND,
  SECRET_APP_LABEL,
  type ApplicationObject,
  type SecretObject,
} from './application-resource.js';
import { secretAppLabelValue } from './naming.js';

const APPLICATION_GROUP = APPLICATION_API_VERSION.split('/')[0];

/**
 * Why `secret` is not the agent's Secret of `owner`; undefined when it is. `labels` are the ones it
 * must carry (default: the `app` label of the owner).
 */
export function notOwnedBecause(secret: SecretObject, owner: ApplicationObject, labels?: Record<string, string>): string | undefined {
  const name = owner.metadata.name;
  const uid = owner.metadata.uid ?? '';
  const references = secret.metadata.ownerReferences ?? [];
  const ours = references.some(
    (ref) =>
      ref.kind === APPLICATION_KIND &&
      ref.apiVersion?.split('/')[0] === APPLICATION_GROUP &&
      ref.name === name &&
      ref.uid === uid &&
      uid !== '',
  );
  if (!ours) {
    const other = references.find((ref) => ref.kind === APPLICATION_KIND);
    return other
      ? `it belongs to Application ${other.name} (uid ${other.uid}), not to Application ${name} (uid ${uid})`
      : `it has no ownerReference to Application ${name} (uid ${uid})`;
  }
  const present = secret.metadata.labels ?? {};
  const wanted = labels ?? { [SECRET_APP_LABEL]: secretAppLabelValue(name) };
  const missing = Object.entries(wanted).filter(([key, value]) => present[key] !== value);
  if (missing.length > 0)
    return `it lacks the label${missing.length > 1 ? 's' : ''} ${missing.map(([key, value]) => `${key}=${value}`).join(', ')}`;
  return undefined;
}
