// The Connector's resolvers (compass-api.md §1.3–1.5). Identity arrives already resolved: a burned
// one-time token or a verified client certificate.
import type { CertificateAuthority } from '../tls/certificate-authority.js';
import { subjectConstants, type CompassStore } from './compass-store.js';
import { ConnectorError, signCertificateSigningRequest } from './csr-signing.js';

export interface ConnectorContext {
  via: 'token' | 'certificate' | 'none';
  clientId?: string;
  certificateSha256?: string;
}

const authenticationFailed =
  'Failed to authenticate request. Token authentication error: Failed to authenticate with one time token.. Certificate authentication error: Failed to authenticate with Certificate. Invalid subject.';

export function connectorRoot(store: CompassStore, ca: CertificateAuthority, context: ConnectorContext): Record<string, unknown> {
  return {
    configuration: () => {
      if (!context.clientId) throw new ConnectorError(authenticationFailed);
      const { O, OU, L, ST, C } = subjectConstants;
      return {
        token: { token: store.mintToken(context.clientId, 'Certificate').token },
        certificateSigningRequestInfo: { subject: `O=${O},OU=${OU},L=${L},ST=${ST},C=${C},CN=${context.clientId}`, keyAlgorithm: 'rsa2048' },
        managementPlaneInfo: { directorURL: store.directorUrl, certificateSecuredConnectorURL: store.certSecuredConnectorUrl },
      };
    },
    signCertificateSigningRequest: async ({ csr }: { csr: string }) => {
      if (!context.clientId) throw new ConnectorError(`Failed to authenticate with token: ${authenticationFailed}`);
      const signed = await signCertificateSigningRequest(ca, csr, context.clientId, store.now(), store.options.certificateValidityMs);
      store.issued.set(signed.sha256, {
        sha256: signed.sha256,
        commonName: signed.commonName,
        notBefore: signed.notBefore.toISOString(),
        notAfter: signed.notAfter.toISOString(),
        revoked: false,
      });
      return { certificateChain: signed.certificateChain, caCertificate: signed.caCertificate, clientCertificate: signed.clientCertificate };
    },
    revokeCertificate: () => {
      if (context.via !== 'certificate' || !context.certificateSha256) {
        throw new ConnectorError('Failed to authenticate with certificate: Failed to authenticate with Certificate. Invalid subject.');
      }
      store.revokeCertificate(context.certificateSha256);
      return true;
    },
  };
}
