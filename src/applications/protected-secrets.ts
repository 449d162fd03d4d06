// The agent's own Secrets (configuration, client certificate, CA). Names of Application Secrets come
// from Director data (`<app>-<bundleId>`) and live in the same namespace by default, so Director data
// can name one of these: the synchronisation never writes or deletes them, whatever it is sent.

import type { AgentConfig, NamespacedName } from '../config.js';

export interface ProtectedSecret {
  namespace: string;
  name: string;
  /** What the Secret is, for messages: "the agent's client certificate Secret (APP_CLUSTER_CERTIFICATES_SECRET)". */
  role: string;
}

type SecretSettings = Pick<AgentConfig, 'agentConfigurationSecret' | 'clusterCertificatesSecret' | 'caCertificatesSecret'>;

/** The Secrets named in the agent's configuration. */
export function agentOwnSecrets(config: SecretSettings): ProtectedSecret[] {
  const entry = (ref: NamespacedName, role: string): ProtectedSecret => ({ namespace: ref.namespace, name: ref.name, role });
  return [
    entry(config.agentConfigurationSecret, "the agent's configuration Secret (APP_AGENT_CONFIGURATION_SECRET)"),
    entry(config.clusterCertificatesSecret, "the agent's client certificate Secret (APP_CLUSTER_CERTIFICATES_SECRET)"),
    entry(config.caCertificatesSecret, "the agent's CA certificate Secret (APP_CA_CERTIFICATES_SECRET)"),
  ];
}

/** The protected Secret at `namespace`/`name`, if it is one. */
export function protectedSecretAt(
  secrets: readonly ProtectedSecret[] | undefined,
  namespace: string,
  name: string,
): ProtectedSecret | undefined {
  return secrets?.find((secret) => secret.namespace === namespace && secret.name === name);
}
