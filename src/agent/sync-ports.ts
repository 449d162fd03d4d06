// The Application synchronisation's ports, served by the Kubernetes stores. Objects read from the
// cluster are only as well-formed as their last writer made them; the sync plan compares them
// semantically and rewrites whatever differs, so the cast at this boundary is deliberate.
import type { ApplicationObject as StoredObject, ApplicationStore, ApplicationStoreOptions } from '../../adapters/kube/application-store.js';
import type { Observable } from 'rxjs';
import type { SecretObject as StoredSecret, SecretStore } from '../../adapters/kube/secret-store.js';
import type { WatchEvent } from '../../adapters/kube/watch-stream.js';
import type { ApplicationObject, SecretObject } from '../applications/application-resource.js';
import { isListedForSync } from '../applications/adoption.js';
import type { ApplicationPort, SecretPort, SyncPorts } from '../applications/ports.js';
import { compactApplication } from '../applications/stored-application.js';
import { AGENT_SECRET_SELECTOR, watchedSecretOf, type WatchedSecret } from '../applications/secret-recheck.js';

export function syncPorts(applications: ApplicationStore, secrets: SecretStore): SyncPorts {
  const secretPort: SecretPort = {
    get: async (namespace, name) => (await secrets.get(namespace, name)) as SecretObject | null,
    create: (secret) => secrets.create(secret as StoredSecret),
    // Conditional on the version the executor read and found to be the agent's: never a blind overwrite.
    replace: (secret) => secrets.update(secret as StoredSecret),
    delete: (namespace, name, preconditions) => secrets.delete(namespace, name, preconditions),
  };
  return {
    applications: applications as unknown as ApplicationPort,
    secrets: secretPort,
  };
}

/** What the Application cache keeps of each object: the compact form the sync reads (stored-application.ts). */
export function applicationCacheProjection(app: StoredObject): StoredObject {
  return compactApplication(app as unknown as ApplicationObject) as unknown as StoredObject;
}

/**
 * The Application store of the synchronisation: every Application is watched (no label selector can
 * say "the agent's label, or none at all"), cached compact, and listed when it is the agent's or one a
 * Go agent left without a label (adoption.ts).
 */
export const applicationStoreOptions: Pick<ApplicationStoreOptions, 'labelSelector' | 'include' | 'project'> = {
  labelSelector: '',
  include: (app) => isListedForSync(app as unknown as ApplicationObject),
  project: applicationCacheProjection,
};

/** The label watch of the Application Secrets in `namespace`, each kept as its content digest without data (secret-recheck.ts). */
export function agentSecretWatch(secrets: SecretStore, namespace: string): Observable<WatchEvent<WatchedSecret>> {
  const project = (secret: StoredSecret) => watchedSecretOf(secret as SecretObject) as unknown as StoredSecret;
  return secrets.watchSecrets(namespace, AGENT_SECRET_SELECTOR, project) as unknown as Observable<WatchEvent<WatchedSecret>>;
}
