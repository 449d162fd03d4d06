// `runtime-agent revoke`: revokes the client certificate in the cluster client-certificate Secret at
// the certificate-secured Connector named in compass-connection. The certificate keeps working until
// it expires but can no longer renew; the agent then needs a new one-time token.
import { loadKubeConfig, createKubeClient } from '../../adapters/kube/kube-client.js';
import { SecretStore } from '../../adapters/kube/secret-store.js';
import { CompassConnectionStore } from '../../adapters/kube/compass-connection-store.js';
import { revokeCertificate } from '../../adapters/compass/connector-client.js';
import { configFromEnvironment } from './command-args.js';
import { readClientIdentity } from '../agent/compass-effects.js';
import { readStoredManagementInfo } from '../agent/stored-management-info.js';

export async function run(args: string[], out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  const config = configFromEnvironment('revoke', args);
  if (config === 2) return 2;
  try {
    const client = createKubeClient(loadKubeConfig().kubeConfig);
    const secretRef = `${config.clusterCertificatesSecret.namespace}/${config.clusterCertificatesSecret.name}`;
    const data = await new SecretStore(client).getData(config.clusterCertificatesSecret.namespace, config.clusterCertificatesSecret.name);
    if (!data) throw new Error(`Secret ${secretRef} does not exist: there is no certificate to revoke`);
    const identity = readClientIdentity(data, secretRef);
    // The URL the agent stored beside the key; the CR's copy only for a Secret the Go agent left (shown in the output).
    const stored = readStoredManagementInfo(data)?.connectorUrl;
    const connectorUrl = stored ?? (await new CompassConnectionStore(client).get())?.spec?.managementInfo?.connectorUrl;
    if (!connectorUrl) throw new Error(`neither Secret ${secretRef} nor compass-connection names the certificate-secured Connector: the agent never connected`);
    if (!stored) out(`Secret ${secretRef} holds no Connector URL (left by the Go agent?): using spec.managementInfo.connectorUrl of compass-connection`);
    await revokeCertificate({
      connectorUrl,
      urlSource: stored ? `the certificate-secured Connector URL stored in Secret ${secretRef}` : 'spec.managementInfo.connectorUrl of compass-connection',
      clientCertificate: identity,
      insecureSkipVerify: config.skipCompassTlsVerify,
      allowPlainHttp: config.allowInsecureCompassHttp,
      timeoutMs: config.compassRequestTimeoutMs,
    });
    out(`revoked the client certificate valid until ${identity.validity.notAfter} at ${connectorUrl}`);
    out('the agent can no longer renew it: put a new one-time token into the configuration Secret and delete compass-connection to reconnect');
    return 0;
  } catch (err) {
    process.stderr.write(`runtime-agent revoke: ${(err as Error).message}\n`);
    return 1;
  }
}
