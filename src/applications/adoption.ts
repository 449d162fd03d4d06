// Applications the Go agent left behind. The Go agent treats every Application that carries
// `spec.compassMetadata` as its own (reference-agent.md §5.5), and before late 2021 it set no
// managed-by label. On a cluster it ran on, such an Application is the agent's: the synchronisation
// adopts it (updated in place, the label added with the first write) when the Director still assigns
// its application, and deletes it, as the Go agent would, when it does not. An Application without
// compassMetadata is never the agent's, nor is one whose managed-by label names another manager (no
// Go agent ever wrote another value). Pure.

import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, SECRET_BUNDLE_LABEL, type ApplicationObject } from './application-resource.js';

/**
 * - `managed`: the agent's label and compassMetadata;
 * - `go-era`: compassMetadata and no managed-by label at all: written by a Go agent of before late 2021;
 * - `foreign`: anything else: never updated or deleted.
 */
export type ApplicationOwnership = 'managed' | 'go-era' | 'foreign';

export function ownershipOf(app: ApplicationObject): ApplicationOwnership {
  if (app.spec?.compassMetadata == null) return 'foreign';
  const labels = app.metadata.labels;
  if (labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE) return 'managed';
  return !labels || !Object.hasOwn(labels, MANAGED_BY_LABEL) ? 'go-era' : 'foreign';
}

/**
 * The Applications the synchronisation needs to see: those carrying the agent's label (managed, or
 * the label without compassMetadata, which is reported rather than taken over) and the Go-era ones.
 * Other Applications stay out of the plan: a Director application of the same name finds them when
 * it is created (409, reported).
 */
export function isListedForSync(app: ApplicationObject): boolean {
  const labels = app.metadata.labels;
  if (labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE) return true;
  return ownershipOf(app) === 'go-era';
}

/**
 * The label the Go agent put on credential and request-parameter Secrets before API packages were
 * renamed bundles (2020): `serviceId` with the package (now bundle) id, where later versions write
 * `bundleId`. A credential Secret whose content did not change since keeps it: the Go agent rewrites
 * a credential Secret only when its data changes.
 */
export const GO_ERA_SECRET_BUNDLE_LABEL = 'serviceId';

/**
 * `wanted` (the labels the agent's own Secret carries: `app` and `bundleId`) as a Go agent of the
 * API-package era wrote them (`serviceId` for `bundleId`); undefined when there is no bundle label.
 * Accepted only for the Secrets of an Application being adopted, and only beside the owner reference
 * to that Application's name and uid, which the ownership rule requires in every case.
 */
export function goEraSecretLabels(wanted: Record<string, string> | undefined): Record<string, string> | undefined {
  const bundleId = wanted?.[SECRET_BUNDLE_LABEL];
  if (bundleId === undefined) return undefined;
  const { [SECRET_BUNDLE_LABEL]: _bundle, ...rest } = wanted!;
  return { ...rest, [GO_ERA_SECRET_BUNDLE_LABEL]: bundleId };
}
