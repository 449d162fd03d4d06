// What the mutual-TLS gateway in front of the certificate-secured Connector and the Director
// (Istio MUTUAL, Envoy on BoringSSL) does with a client certificate in the handshake
// (compass-api.md §1.6): a missing one, one of a foreign CA or one outside its validity (by the
// simulator's clock) is refused with the TLS alert BoringSSL derives from the verification error
// (SSL_alert_from_verify_result). A revoked certificate passes the handshake: revocation is the
// certificate hydrator's business, and the Connector then answers with its authentication error.
import type { X509Certificate } from 'node:crypto';
import { TLS_ALERT } from '../tls/tls-alert.js';
import type { ClientCertificateVerdict } from '../tls/tls-listener.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export function gatewayCertificateCheck(connectorCa: X509Certificate, now: () => Date) {
  return (peer: X509Certificate | undefined, protocol: string): ClientCertificateVerdict => {
    // TLS 1.3 has an alert of its own for a missing certificate; TLS 1.2 fails the handshake.
    if (!peer) return { accept: false, alert: protocol === 'TLSv1.3' ? TLS_ALERT.certificateRequired : TLS_ALERT.handshakeFailure };
    if (!peer.checkIssued(connectorCa) || !peer.verify(connectorCa.publicKey)) return { accept: false, alert: TLS_ALERT.unknownCa };
    // X509Certificate.keyUsage lists the extended key usages; absent means any.
    if (peer.keyUsage && !peer.keyUsage.includes(CLIENT_AUTH)) return { accept: false, alert: TLS_ALERT.unsupportedCertificate };
    const at = now().getTime();
    // Expired and not yet valid are one alert in BoringSSL.
    if (at < Date.parse(peer.validFrom) || at > Date.parse(peer.validTo)) return { accept: false, alert: TLS_ALERT.certificateExpired };
    return { accept: true };
  };
}
