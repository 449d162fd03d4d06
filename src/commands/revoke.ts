// `runtime-agent revoke`: revokes the client certificate in the cluster client-certificate Secret at
// the certificate-secured Connector the agent stored beside it. Compass refuses the certificate from
// then on; the agent notices at its next connection check and reconnects by itself as soon as the
// configuration Secret holds a one-time token it has not used. The revocation is recorded on the
// Secret (annotations), so that a second revoke says the certificate is already revoked.
import { createHash, X509Certificate } from 'node:crypto';
import { KubeConfigError, loadKubeConfig, createKubeClient } from '../../adapters/kube/kube-client.js';
import { decodeSecretData, SecretStore, type SecretObject } from '../../adapters/kube/secret-store.js';
import { CompassConnectionStore, type CompassConnectionObject } from '../../adapters/kube/compass-connection-store.js';
import { revokeCertificate } from '../../adapters/compass/connector-client.js';
import { CompassError } from '../../adapters/compass/compass-error.js';
import { createLogger } from '../../adapters/logger.js';
import { configFromEnvironment } from './command-args.js';
import { readClientIdentity } from '../agent/compass-effects.js';
import { readStoredManagementInfo } from '../agent/stored-management-info.js';
import { readConfigurationSecret, tokenFingerprint } from '../agent/configuration-secret.js';
import { queryLogging } from '../agent/query-logging.js';
import { CONSUMED_TOKEN_ANNOTATION } from '../status-projection.js';
import type { AgentConfig } from '../config.js';
import { errorMessage } from '../../adapters/unknown-values.js';

/** SHA-256 (hex) of the DER of the certificate that `revoke` revoked, and when: on the client-certificate Secret. */
export const REVOKED_CERTIFICATE_ANNOTATION = 'compass.kyma-project.io/revoked-certificate-sha256';
export const REVOKED_AT_ANNOTATION = 'compass.kyma-project.io/revoked-at';

export const usage = `usage: runtime-agent revoke

Revokes the client certificate in the client-certificate Secret (APP_CLUSTER_CERTIFICATES_SECRET) at
the certificate-secured Connector whose URL the agent stored beside it. Compass refuses that
certificate from then on; the running agent notices at its next connection check and reconnects by
itself as soon as the configuration Secret (APP_AGENT_CONFIGURATION_SECRET) holds a one-time token it
has not used: put a fresh one there. It takes no arguments: configuration as for \`run\` (APP_*
variables, KUBECONFIG or the Pod's ServiceAccount).

exit codes: 0 revoked (or already revoked by an earlier revoke), 1 the revocation failed,
            2 a malformed APP_* value or no Kubernetes configuration
`;

const ref = (n: { namespace: string; name: string }) => `${n.namespace}/${n.name}`;

function certificateSha256(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

export async function run(args: string[], out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  const config = configFromEnvironment('revoke', args);
  if (config === 2) return 2;
  let client;
  try {
    client = createKubeClient(loadKubeConfig().kubeConfig);
  } catch (err) {
    if (!(err instanceof KubeConfigError)) throw err;
    process.stderr.write(`runtime-agent revoke: ${err.message}\n`);
    return 2;
  }
  try {
    const secrets = new SecretStore(client);
    const secretRef = ref(config.clusterCertificatesSecret);
    const secret = await secrets.get(config.clusterCertificatesSecret.namespace, config.clusterCertificatesSecret.name);
    if (!secret) throw new Error(`Secret ${secretRef} does not exist: there is no certificate to revoke`);
    const data = decodeSecretData(secret.data);
    const identity = readClientIdentity(data, secretRef);
    const sha256 = certificateSha256(identity.clientCertificatePem);
    const connection = await new CompassConnectionStore(client).get();
    const annotations = secret.metadata.annotations ?? {};
    if (annotations[REVOKED_CERTIFICATE_ANNOTATION] === sha256) {
      const when = annotations[REVOKED_AT_ANNOTATION] ? ` at ${annotations[REVOKED_AT_ANNOTATION]}` : '';
      out(
        `the client certificate in Secret ${secretRef} (valid until ${identity.validity.notAfter}) is already revoked: runtime-agent revoke revoked it${when}; nothing was sent to Compass`,
      );
      out(await reconnectAdvice(config, secrets, connection));
      return 0;
    }
    // The URL the agent stored beside the key; the CR's copy only for a Secret the Go agent left (shown in the output).
    const stored = readStoredManagementInfo(data)?.connectorUrl;
    const connectorUrl = stored ?? connection?.spec?.managementInfo?.connectorUrl;
    if (!connectorUrl)
      throw new Error(
        `neither Secret ${secretRef} nor compass-connection names the certificate-secured Connector: the agent never connected`,
      );
    if (!stored)
      out(
        `Secret ${secretRef} holds no Connector URL (left by the Go agent?): using spec.managementInfo.connectorUrl of compass-connection`,
      );
    try {
      await revokeCertificate({
        connectorUrl,
        urlSource: stored
          ? `the certificate-secured Connector URL stored in Secret ${secretRef}`
          : 'spec.managementInfo.connectorUrl of compass-connection',
        clientCertificate: identity,
        insecureSkipVerify: config.skipCompassTlsVerify,
        allowPlainHttp: config.allowInsecureCompassHttp,
        timeoutMs: config.compassRequestTimeoutMs,
        onOperation: queryLogging(config.queryLogging, createLogger({ level: config.logLevel, destination: process.stderr })),
      });
    } catch (err) {
      if (err instanceof CompassError && (err.kind === 'rejected' || err.tlsRejected)) {
        throw new Error(
          `Compass refuses the client certificate in Secret ${secretRef} (valid until ${identity.validity.notAfter}), so it cannot revoke it with it: the certificate is already revoked (by another revoke or by Compass's operators) or Compass does not accept it at all. ${err.message}`,
        );
      }
      throw err;
    }
    out(`revoked the client certificate valid until ${identity.validity.notAfter} at ${connectorUrl}`);
    const recorded = await recordRevocation(secrets, secret, sha256);
    if (!recorded.ok)
      out(`(the revocation could not be recorded on Secret ${secretRef}: ${recorded.reason}; a second revoke will ask Compass again)`);
    out(await reconnectAdvice(config, secrets, connection));
    return 0;
  } catch (err) {
    process.stderr.write(`runtime-agent revoke: ${errorMessage(err)}\n`);
    return 1;
  }
}

/** Annotates the client-certificate Secret with the revoked certificate (conditional on the version read). */
async function recordRevocation(
  secrets: SecretStore,
  secret: SecretObject,
  sha256: string,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    await secrets.update({
      ...secret,
      metadata: {
        ...secret.metadata,
        annotations: {
          ...secret.metadata.annotations,
          [REVOKED_CERTIFICATE_ANNOTATION]: sha256,
          [REVOKED_AT_ANNOTATION]: new Date().toISOString(),
        },
      },
    });
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
}

/** What the running agent does next. It reconnects by itself: deleting compass-connection is not needed. */
async function reconnectAdvice(config: AgentConfig, secrets: SecretStore, connection: CompassConnectionObject | null): Promise<string> {
  const configRef = ref(config.agentConfigurationSecret);
  const data = await secrets.getData(config.agentConfigurationSecret.namespace, config.agentConfigurationSecret.name).catch(() => null);
  const { values, problems } = readConfigurationSecret(data, configRef, { allowPlainHttp: config.allowInsecureCompassHttp });
  const consumed = connection?.metadata.annotations?.[CONSUMED_TOKEN_ANNOTATION];
  if (values.token && problems.length === 0 && tokenFingerprint(values.token) !== consumed) {
    return `the configuration Secret ${configRef} holds a one-time token the agent has not used: the agent reconnects with it by itself at its next connection check (no need to delete compass-connection)`;
  }
  return `the agent can no longer use this certificate: it reconnects by itself as soon as the configuration Secret ${configRef} holds a fresh one-time token (no need to delete compass-connection)`;
}
