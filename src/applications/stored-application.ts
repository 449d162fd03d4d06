// What the sync keeps of a stored Application between cycles: the object without its bulkiest part,
// `spec.services` (and without `metadata.managedFields`), plus a summary computed from the full object
// before it was dropped. The summary is all the plan needs of the services (digest of the owned
// fields, service ids, referenced Secret names); the rest of the object keeps the user's fields, so
// an update still writes them back unchanged.

import {
  APPLICATION_API_VERSION,
  APPLICATION_KIND,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  type ApplicationObject,
} from './application-resource.js';
import { isSecretNameOfApplication } from './naming.js';
import { ownedFieldsDigest } from './owned-fields.js';

export interface StoredSummary {
  /** `ownedFieldsDigest` of the stored spec. */
  ownedDigest: string;
  /** `spec.services[].id`, the non-empty strings. */
  serviceIds: string[];
  /** Secret names the entries reference, limited to names of this application's shape. */
  referencedSecrets: string[];
}

// Beside the object, not on it: a spread copy (e.g. mergeOwnedFields) must not carry a summary of other
// content, and a property V8 cannot share a hidden class for (a non-enumerable one added to a copied
// object) cost every cached Application its own, about 220 bytes.
const summaries = new WeakMap<ApplicationObject, StoredSummary>();

function summarize(app: ApplicationObject): StoredSummary {
  const name = app.metadata.name;
  const serviceIds: string[] = [];
  const referenced = new Set<string>();
  const services = Array.isArray(app.spec?.services) ? app.spec.services : [];
  for (const service of services) {
    if (typeof service?.id === 'string' && service.id) serviceIds.push(service.id);
    for (const entry of Array.isArray(service?.entries) ? service.entries : []) {
      for (const secretName of [entry?.credentials?.secretName, entry?.requestParametersSecretName]) {
        if (typeof secretName === 'string' && secretName && isSecretNameOfApplication(secretName, name)) referenced.add(secretName);
      }
    }
  }
  // slice(): an array grown by push keeps room for 16 more; the summary lives as long as the cache entry.
  return { ownedDigest: ownedFieldsDigest(app.spec), serviceIds: serviceIds.slice(), referencedSecrets: [...referenced].sort() };
}

/** The summary of a compact object, or computed from a full one (e.g. listed directly). */
export function storedSummaryOf(app: ApplicationObject): StoredSummary {
  return summaries.get(app) ?? summarize(app);
}

/** `value`, as the one string `constant` when they are equal: every cached Application holds these. */
const shared = (value: string, constant: string): string => (value === constant ? constant : value);

/** The compact form the Application cache keeps; the input is not changed. */
export function compactApplication(app: ApplicationObject): ApplicationObject {
  const summary = summarize(app);
  // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- an object read without metadata stays without (the plan reports it)
  const { managedFields: _managedFields, ...metadata } = app.metadata ?? ({} as ApplicationObject['metadata']);
  if (metadata.labels?.[MANAGED_BY_LABEL] !== undefined)
    metadata.labels = { ...metadata.labels, [MANAGED_BY_LABEL]: shared(metadata.labels[MANAGED_BY_LABEL], MANAGED_BY_VALUE) };
  const compact: ApplicationObject = {
    ...app,
    apiVersion: shared(app.apiVersion, APPLICATION_API_VERSION),
    kind: shared(app.kind, APPLICATION_KIND),
    metadata,
  };
  if (app.spec && typeof app.spec === 'object') {
    const { services: _services, ...spec } = app.spec;
    // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- the compact form leaves out services on purpose (the summary holds their digest)
    compact.spec = spec as ApplicationObject['spec'];
  }
  summaries.set(compact, summary);
  return compact;
}
