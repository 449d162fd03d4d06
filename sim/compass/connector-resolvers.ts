// The Connector's resolvers (compass-api.md §1.3–1.5). Identity arrives already resolved: a burned
// one-time token or a verified client certificate.
import type { CertificateAuthority } from '../tls/certificate-authority.js';
import { subjectConstants, type CompassStore } from './compass-store.js';
import { ConnectorError, signCertificateSigningRequest } from './csr-signing.js';
import type { Resolvers } from './graphql-execution.js';

export interface ConnectorIdentity {
  via: 'token' | 'certificate' | 'none';
  clientId?: string;
  certificateSha256?: string;
}

export interface ConnectorContext extends ConnectorIdentity {
  store: CompassStore;
  ca: CertificateAuthority;
}

const authenticationFailed =
  'Failed to authenticate request. Token authentication error: Failed to authenticate with one time token.. Certificate authentication error: Failed to authenticate with Certificate. Invalid subject.';

export const connectorResolvers: Resolvers<ConnectorContext> = {
  Query: {
    configuration: (_root, _args, { store, clientId }) => {
      if (!clientId) throw new ConnectorError(authenticationFailed);
      const { O, OU, L, ST, C } = subjectConstants;
      return {
        token: { token: store.mintToken(clientId, 'Certificate').token },
        certificateSigningRequestInfo: { subject: `O=${O},OU=${OU},L=${L},ST=${ST},C=${C},CN=${clientId}`, keyAlgorithm: 'rsa2048' },
        managementPlaneInfo: { directorURL: store.directorUrl, certificateSecuredConnectorURL: store.certSecuredConnectorUrl },
      };
    },
  },
  Mutation: {
    signCertificateSigningRequest: async (_root, { csr }: { csr: string }, { store, ca, clientId }) => {
      if (!clientId) throw new ConnectorError(`Failed to authenticate with token: ${authenticationFailed}`);
      const signed = await signCertificateSigningRequest(ca, csr, clientId, store.now(), store.options.certificateValidityMs);
      store.issued.set(signed.sha256, {
        sha256: signed.sha256,
        commonName: signed.commonName,
        notBefore: signed.notBefore.toISOString(),
        notAfter: signed.notAfter.toISOString(),
        revoked: false,
      });
      return {
        certificateChain: signed.certificateChain,
        caCertificate: signed.caCertificate,
        clientCertificate: signed.clientCertificate,
      };
    },
    revokeCertificate: (_root, _args, { store, via, certificateSha256 }) => {
      if (via !== 'certificate' || !certificateSha256) {
        throw new ConnectorError('Failed to authenticate with certificate: Failed to authenticate with Certificate. Invalid subject.');
      }
      store.revokeCertificate(certificateSha256);
      return true;
    },
  },
};
