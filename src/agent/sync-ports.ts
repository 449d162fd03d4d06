// The Application synchronisation's ports, served by the Kubernetes stores. Objects read from the
// cluster are only as well-formed as their last writer made them; the sync plan compares them
// semantically and rewrites whatever differs, so the cast at this boundary is deliberate.
import type { ApplicationObject as StoredObject } from '../../adapters/kube/application-store.js';
import type { ApplicationStore } from '../../adapters/kube/application-store.js';
import type { SecretObject as StoredSecret, SecretStore } from '../../adapters/kube/secret-store.js';
import type { ApplicationObject, SecretObject } from '../applications/application-resource.js';
import type { ApplicationPort, SecretPort, SyncPorts } from '../applications/ports.js';
import { compactApplication } from '../applications/stored-application.js';

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
