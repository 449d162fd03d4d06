// The Application synchronisation's ports, served by the Kubernetes stores. Objects read from the
// cluster are only as well-formed as their last writer made them; the sync plan compares them
// semantically and rewrites whatever differs, so the cast at this boundary is deliberate.
import type { ApplicationObject as StoredObject } from '../../adapters/kube/application-store.js';
import type { ApplicationStore } from '../../adapters/kube/application-store.js';
import type { SecretStore } from '../../adapters/kube/secret-store.js';
import type { ApplicationObject } from '../applications/application-resource.js';
import type { ApplicationPort, SecretPort, SyncPorts } from '../applications/ports.js';
import { compactApplication } from '../applications/stored-application.js';

export function syncPorts(applications: ApplicationStore, secrets: SecretStore): SyncPorts {
  return {
    applications: applications as unknown as ApplicationPort,
    secrets: secrets as unknown as SecretPort,
  };
}

/** What the Application cache keeps of each object: the compact form the sync reads (stored-application.ts). */
export function applicationCacheProjection(app: StoredObject): StoredObject {
  return compactApplication(app as unknown as ApplicationObject) as unknown as StoredObject;
}
