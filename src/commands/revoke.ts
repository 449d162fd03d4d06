// `runtime-agent revoke`: revokes the client certificate in the cluster client-certificate Secret at
// the certificate-secured Connector named in compass-connection. The certificate keeps working until
// it expires but can no longer renew; the agent then needs a new one-time token.
import { loadKubeConfig, createKubeClient } from '../../adapters/kube/kube-client.js';
import { SecretStore } from '../../adapters/kube/secret-store.js';
import { CompassConnectionStore } from '../../adapters/kube/compass-connection-store.js';
import { revokeCertificate } from '../../adapters/compass/connector-client.js';
import { configFromEnvironment } from './command-args.js';
import { readClientIdentity } from '../agent/compass-effects.js';

export async function run(args: string[], out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  const config = configFromEnvironment('revoke', args);
  if (config === 2) return 2;
  try {
    const client = createKubeClient(loadKubeConfig().kubeConfig);
    const secretRef = `${config.clusterCertificatesSecret.namespace}/${config.clusterCertificatesSecret.name}`;
    const data = await new SecretStore(client).getData(config.clusterCertificatesSecret.namespace, config.clusterCertificatesSecret.name);
    if (!data) throw new Error(`Secret ${secretRef} does not exist: there is no certificate to revoke`);
    const identity = readClientIdentity(data, secretRef);
    const connection = await new CompassConnectionStore(client).get();
    const connectorUrl = connection?.spec?.managementInfo?.connectorUrl;
    if (!connectorUrl) throw new Error('compass-connection has no spec.managementInfo.connectorUrl: the agent never connected');
    await revokeCertificate({
      connectorUrl,
      clientCertificate: identity,
      insecureSkipVerify: config.skipCompassTlsVerify,
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
