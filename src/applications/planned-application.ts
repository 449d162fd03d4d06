// A desired Application as the plan sees it: a small summary (name, digests, Secret names), with the
// full objects built only when an operation needs them (create, update, a Secret to write). The sync
// memory keeps the summaries between cycles; the full objects of 10,000 applications never have to
// be held at once.

import type { DesiredApplication } from './converter.js';
import { ownedFieldsDigest } from './owned-fields.js';
import { secretContentDigest } from './secret-content-record.js';

/** A desired Secret: where it lives and the digest of its content (secret-content-record.ts). */
export interface DesiredSecretRef {
  namespace: string;
  name: string;
  digest: string;
}

export interface DesiredSummary {
  name: string;
  applicationId: string;
  /** `ownedFieldsDigest` of the desired spec. */
  ownedDigest: string;
  serviceIds: string[];
  secrets: DesiredSecretRef[];
  /** Why it cannot be applied (application-validation.ts); absent when it can. */
  problems?: string[];
  /** The Director's name of an application that cannot be applied (absent otherwise). */
  directorName?: string;
}

export interface PlannedApplication extends DesiredSummary {
  /** The full desired objects (converted again on each call: callers keep the result only while they use it). */
  load: () => DesiredApplication;
}

export function summarizeDesired(desired: DesiredApplication): DesiredSummary {
  return {
    name: desired.name,
    applicationId: desired.applicationId,
    ownedDigest: ownedFieldsDigest(desired.application.spec),
    serviceIds: desired.application.spec.services.map((service) => service.id),
    secrets: desired.secrets.map((secret) => ({
      namespace: secret.metadata.namespace,
      name: secret.metadata.name,
      digest: secretContentDigest(secret),
    })),
    ...(desired.problems.length > 0 ? { problems: desired.problems, directorName: desired.directorName } : {}),
  };
}

/** A summary with the way to its full objects (written out: this runs for every application of every cycle). */
export function planned(summary: DesiredSummary, load: () => DesiredApplication): PlannedApplication {
  const { name, applicationId, ownedDigest, serviceIds, secrets, problems, directorName } = summary;
  if (problems) return { name, applicationId, ownedDigest, serviceIds, secrets, problems, directorName, load };
  return { name, applicationId, ownedDigest, serviceIds, secrets, load };
}

/** A desired Application already held in full (tests, callers without a sync memory). */
export function plannedFrom(desired: DesiredApplication): PlannedApplication {
  return planned(summarizeDesired(desired), () => desired);
}

export function isPlanned(value: DesiredApplication | PlannedApplication): value is PlannedApplication {
  return 'load' in value && typeof value.load === 'function';
}
