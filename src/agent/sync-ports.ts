// The Application synchronisation's ports, served by the Kubernetes stores. Objects read from the
// cluster are only as well-formed as their last writer made them; the sync plan compares them
// semantically and rewrites whatever differs, so the cast at this boundary is deliberate.
import type {
  ApplicationObject as StoredObject,
  ApplicationStore,
  ApplicationStoreOptions,
} from '../../adapters/kube/application-store.js';
import type { Observable } from 'rxjs';
import type { SecretObject as StoredSecret, SecretStore } from '../../adapters/kube/secret-store.js';
import type { WatchEvent } from '../../adapters/kube/watch-stream.js';
import type { ApplicationObject, SecretObject } from '../applications/application-resource.js';
import { isListedForSync } from '../applications/adoption.js';
import type { ApplicationPort, SecretPort, SyncPorts } from '../applications/ports.js';
import { compactApplication } from '../applications/stored-application.js';
import { AGENT_SECRET_SELECTOR, watchedSecretOf, type WatchedSecret } from '../applications/secret-recheck.js';

// The conversions at this boundary, and the only casts in it: an object read from the cluster is taken as the
// sync's typed object (the plan checks and rewrites it), and the sync's objects are plain JSON objects to the stores.
/* eslint-disable @typescript-eslint/no-unsafe-type-assertion -- the boundary described above: cluster objects are only as well-formed as their last writer */
const asApplication = (app: StoredObject): ApplicationObject => app as ApplicationObject;
const asStoredApplication = (app: ApplicationObject): StoredObject => app;
const asSecret = (secret: StoredSecret): SecretObject => secret as SecretObject;
const asStoredSecret = (secret: SecretObject): StoredSecret => secret as StoredSecret;
/* eslint-enable @typescript-eslint/no-unsafe-type-assertion */

/** The Secret port of the synchronisation, served by the Secret store. */
export function secretPort(secrets: SecretStore): SecretPort {
  return {
    get: async (namespace, name) => {
      const secret = await secrets.get(namespace, name);
      return secret === null ? null : asSecret(secret);
    },
    create: (secret) => secrets.create(asStoredSecret(secret)),
    // Conditional on the version the executor read and found to be the agent's: never a blind overwrite.
    replace: (secret) => secrets.update(asStoredSecret(secret)),
    delete: (namespace, name, preconditions) => secrets.delete(namespace, name, preconditions),
  };
}

export function syncPorts(applications: ApplicationStore, secrets: SecretStore): SyncPorts {
  const applicationPort: ApplicationPort = {
    listManaged: async () => (await applications.listManaged()).map(asApplication),
    cacheVersion: () => applications.cacheVersion,
    ownCacheChanges: () => applications.ownCacheChanges,
    create: async (app) => asApplication(await applications.create(asStoredApplication(app))),
    update: async (app) => asApplication(await applications.update(asStoredApplication(app))),
    delete: (name) => applications.delete(name),
  };
  return {
    applications: applicationPort,
    secrets: secretPort(secrets),
  };
}

/** What the Application cache keeps of each object: the compact form the sync reads (stored-application.ts). */
export function applicationCacheProjection(app: StoredObject): StoredObject {
  return asStoredApplication(compactApplication(asApplication(app)));
}

/**
 * The Application store of the synchronisation: every Application is watched (no label selector can
 * say "the agent's label, or none at all"), cached compact, and listed when it is the agent's or one a
 * Go agent left without a label (adoption.ts).
 */
export const applicationStoreOptions: Pick<ApplicationStoreOptions, 'labelSelector' | 'include' | 'project'> = {
  labelSelector: '',
  include: (app) => isListedForSync(asApplication(app)),
  project: applicationCacheProjection,
};

/** The label watch of the Application Secrets in `namespace`, each kept as its content digest without data (secret-recheck.ts). */
export function agentSecretWatch(secrets: SecretStore, namespace: string): Observable<WatchEvent<WatchedSecret>> {
  const project = (secret: StoredSecret): StoredSecret => watchedSecretOf(asSecret(secret));
  // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- every object the watch emits went through `project` above
  return secrets.watchSecrets(namespace, AGENT_SECRET_SELECTOR, project) as Observable<WatchEvent<WatchedSecret>>;
}
