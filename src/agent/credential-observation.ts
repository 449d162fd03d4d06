// When an observation of the credential Secrets tells the machine something new. Their watches
// deliver every change of a Secret (its management info, a label, another key): the machine hears of
// one only when what it records, presence and the certificate's validity, differs from the last.
import type { ObservedCredentials } from '../../machines/agent-events.js';

export function sameObservedCredentials(a: ObservedCredentials, b: ObservedCredentials): boolean {
  return (
    a.clientCertificateSecret === b.clientCertificateSecret &&
    a.caCertificateSecret === b.caCertificateSecret &&
    a.certificateValidity?.notBefore === b.certificateValidity?.notBefore &&
    a.certificateValidity?.notAfter === b.certificateValidity?.notAfter
  );
}
