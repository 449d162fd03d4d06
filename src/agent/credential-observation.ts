// What the watches of the credential Secrets tell. The machine hears of a delivery only when what it
// records, presence and the certificate's validity, differs from the last: the watches deliver every
// change of a Secret (its management info, a label, another key). A connection check may go by the
// deliveries only while both watches are current (compass-effects.ts, decision 0016).
import type { ObservedCredentials } from '../../machines/agent-events.js';
import type { SecretObservation } from '../../adapters/kube/secret-store.js';
import type { CredentialSecrets } from './compass-effects.js';

/** Both Secrets as delivered, or undefined when either watch failed since its last answer. */
export function currentCredentials(cluster: SecretObservation, ca: SecretObservation): CredentialSecrets | undefined {
  return cluster.current && ca.current ? { cluster: cluster.data, ca: ca.data } : undefined;
}

export function sameObservedCredentials(a: ObservedCredentials, b: ObservedCredentials): boolean {
  return (
    a.clientCertificateSecret === b.clientCertificateSecret &&
    a.caCertificateSecret === b.caCertificateSecret &&
    a.certificateValidity?.notBefore === b.certificateValidity?.notBefore &&
    a.certificateValidity?.notAfter === b.certificateValidity?.notAfter
  );
}
