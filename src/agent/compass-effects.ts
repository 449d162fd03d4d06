// The agent's effects, implemented with the real adapters: the Connector and Director clients, PKI,
// and the Kubernetes stores. Everything here is I/O; what to do and when is the machine's business.
import type { Logger } from '../../adapters/logger.js';
import { CompassError } from '../../adapters/compass/compass-error.js';
import * as connector from '../../adapters/compass/connector-client.js';
import { DirectorClient } from '../../adapters/compass/director-client.js';
import { DirectorPageMemory } from '../../adapters/compass/director-page-memory.js';
import type { RuntimeConfiguration } from '../../adapters/compass/director-types.js';
import type { ClientCertificate } from '../../adapters/compass/graphql-transport.js';
import { parseCertificate, keyMatchesCertificate, toRfc3339 } from '../../adapters/pki/certificate.js';
import { SpareKey } from '../../adapters/pki/spare-key.js';
import type { SecretStore } from '../../adapters/kube/secret-store.js';
import type { CompassConnectionObject, CompassConnectionStore } from '../../adapters/kube/compass-connection-store.js';
import type { ApplicationStore } from '../../adapters/kube/application-store.js';
import type { AgentMetrics } from '../../adapters/metrics.js';
import type { AgentConfig, NamespacedName } from '../config.js';
import { CONSUMED_TOKEN_ANNOTATION } from '../status-projection.js';
import { applyConfiguration, labelsToSet } from '../applications/apply-configuration.js';
import { SecretContentRecord } from '../applications/secret-content-record.js';
import { readConfigurationSecret, tokenFingerprint } from './configuration-secret.js';
import { syncPorts } from './sync-ports.js';
import {
  EffectError,
  type AgentEffects,
  type CertificateInfo,
  type EffectErrorKind,
  type ManagementInfo,
  type ObservedConnectionCr,
  type ObservedCredentials,
  type SyncOutcome,
} from './effects.js';

export interface CompassEffectsOptions {
  config: AgentConfig;
  secrets: SecretStore;
  connections: CompassConnectionStore;
  applications: ApplicationStore;
  logger: Logger;
  now: () => number;
  metrics?: AgentMetrics;
  /** Extra trust anchor for Compass's servers (the simulators); production uses NODE_EXTRA_CA_CERTS. */
  compassCaPem?: string;
}

/** The client identity presented to Compass, as stored in the cluster client-certificate Secret. */
interface ClientIdentity extends ClientCertificate {
  clientCertificatePem: string;
  validity: CertificateInfo;
}

export interface CompassEffects extends AgentEffects {
  /** The identity currently presented to Compass (for readiness and metrics). */
  currentIdentity(): { validity: CertificateInfo } | undefined;
  /** What the credential Secrets hold now, without adopting it as the presented identity. */
  observeCredentials(): Promise<ObservedCredentials>;
  close(): Promise<void>;
}

/** How many synchronizations trust the record of written Secrets before reading them all again. */
export const SECRET_RECHECK_CYCLES = 10;

const ref = (n: NamespacedName) => `${n.namespace}/${n.name}`;

export function compassErrorKind(error: unknown): EffectErrorKind {
  if (error instanceof CompassError) {
    if (error.kind === 'rejected' || error.tlsRejected) return 'rejected';
    if (error.kind === 'unreachable' || error.kind === 'aborted') return 'unreachable';
    return 'invalid-response';
  }
  return 'internal';
}

function asEffectError(error: unknown, kind?: EffectErrorKind): EffectError {
  if (error instanceof EffectError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EffectError(kind ?? compassErrorKind(error), message, { cause: error });
}

export function observedCr(object: CompassConnectionObject | null): ObservedConnectionCr | null {
  if (!object) return null;
  const fingerprint = object.metadata.annotations?.[CONSUMED_TOKEN_ANNOTATION];
  return {
    generation: object.metadata.generation ?? 0,
    resourceVersion: object.metadata.resourceVersion ?? '',
    spec: {
      managementInfo: object.spec?.managementInfo,
      resyncNow: object.spec?.resyncNow === true,
      refreshCredentialsNow: object.spec?.refreshCredentialsNow === true,
    },
    ...(object.status ? { status: object.status } : {}),
    ...(fingerprint ? { consumedTokenFingerprint: fingerprint } : {}),
  };
}

/** Reads the key, certificate and chain of the client-certificate Secret; throws what is wrong. */
export function readClientIdentity(data: Record<string, string>, secretRef: string): ClientIdentity {
  const keyPem = data.key ?? '';
  const clientCertificatePem = data.crt ?? '';
  const certificateChainPem = data.crtChain || clientCertificatePem;
  if (!keyPem || !clientCertificatePem) throw new Error(`Secret ${secretRef} lacks the keys "key" and "crt"`);
  const certificate = parseCertificate(clientCertificatePem, `crt of Secret ${secretRef}`);
  if (!keyMatchesCertificate(keyPem, clientCertificatePem)) throw new Error(`the key in Secret ${secretRef} does not belong to its certificate`);
  return {
    keyPem,
    clientCertificatePem,
    certificateChainPem,
    validity: { notBefore: toRfc3339(certificate.notBefore), notAfter: toRfc3339(certificate.notAfter) },
  };
}

export function createCompassEffects(options: CompassEffectsOptions): CompassEffects {
  const { config, secrets, connections, applications, logger, metrics } = options;
  const at = () => new Date(options.now()).toISOString();
  const secretContent = new SecretContentRecord();
  // The record lets a quiet cycle skip every Secret request, so it would also never notice a Secret
  // deleted or edited by hand (the agent may not watch Secrets): every SECRET_RECHECK_CYCLES-th
  // synchronization reads and compares them all again.
  let cyclesSinceSecretRecheck = 0;
  // Director answers identical to the last fetch's are taken as read then (content-addressed).
  const directorPages = new DirectorPageMemory();
  const ports = syncPorts(applications, secrets);
  let identity: ClientIdentity | undefined;
  // The next RSA key is generated ahead, so connecting and renewing do not wait seconds for it.
  const spareKey = new SpareKey(config.rsaKeyBits);
  spareKey.prepare();
  const newKey = () => spareKey.take();

  const transport = {
    caPem: options.compassCaPem,
    insecureSkipVerify: config.skipCompassTlsVerify,
    timeoutMs: config.compassRequestTimeoutMs,
  };

  const readConfiguration = async () => {
    const data = await secrets.getData(config.agentConfigurationSecret.namespace, config.agentConfigurationSecret.name).catch((err: unknown) => {
      // Not 'kubernetes': for establishConnection that kind means "writing the credential Secrets failed".
      throw new EffectError('unreachable', `cannot read Secret ${ref(config.agentConfigurationSecret)}: ${(err as Error).message}`);
    });
    return readConfigurationSecret(data, ref(config.agentConfigurationSecret));
  };

  /** Key, certificate and chain in one Secret write (never a key without its certificate), then the CA. */
  const preserve = async (result: connector.ConnectionResult): Promise<ClientIdentity> => {
    const next: ClientIdentity = {
      keyPem: result.privateKeyPem,
      clientCertificatePem: result.credentials.clientCertificatePem,
      certificateChainPem: result.credentials.certificateChainPem,
      validity: {
        notBefore: toRfc3339(result.credentials.certificate.notBefore),
        notAfter: toRfc3339(result.credentials.certificate.notAfter),
      },
    };
    try {
      await secrets.upsertMerge(config.clusterCertificatesSecret.namespace, config.clusterCertificatesSecret.name, {
        key: next.keyPem,
        crt: next.clientCertificatePem,
        crtChain: next.certificateChainPem,
      });
      await secrets.upsertMerge(config.caCertificatesSecret.namespace, config.caCertificatesSecret.name, {
        cacert: result.credentials.caCertificatePem,
      });
    } catch (err) {
      throw new EffectError('kubernetes', `cannot write the certificate Secrets ${ref(config.clusterCertificatesSecret)} and ${ref(config.caCertificatesSecret)}: ${(err as Error).message}`);
    }
    identity = next;
    metrics?.setCertificateExpiry(next.validity.notAfter);
    return next;
  };

  const requireIdentity = (): ClientIdentity => {
    if (!identity) {
      throw new EffectError('invalid-config', `no client certificate is loaded: Secret ${ref(config.clusterCertificatesSecret)} is missing or unreadable; put a new one-time token into Secret ${ref(config.agentConfigurationSecret)} to reconnect`);
    }
    return identity;
  };

  const observeCredentials = async (adopt: boolean): Promise<ObservedCredentials> => {
    const cluster = await secrets.getData(config.clusterCertificatesSecret.namespace, config.clusterCertificatesSecret.name);
    const ca = await secrets.getData(config.caCertificatesSecret.namespace, config.caCertificatesSecret.name);
    const observed: ObservedCredentials = { clientCertificateSecret: 'missing', caCertificateSecret: ca ? 'present' : 'missing' };
    if (cluster) {
      try {
        const loaded = readClientIdentity(cluster, ref(config.clusterCertificatesSecret));
        observed.clientCertificateSecret = 'present';
        observed.certificateValidity = loaded.validity;
        if (adopt) {
          identity = loaded;
          metrics?.setCertificateExpiry(loaded.validity.notAfter);
        }
      } catch (err) {
        observed.clientCertificateSecret = 'invalid';
        logger.warn({ secret: ref(config.clusterCertificatesSecret), reason: (err as Error).message }, 'client certificate Secret is unusable');
      }
    }
    return observed;
  };

  return {
    currentIdentity: () => (identity ? { validity: identity.validity } : undefined),
    observeCredentials: () => observeCredentials(false),

    async loadState() {
      try {
        const cr = observedCr(await connections.get());
        return { at: at(), cr, credentialsSecrets: await observeCredentials(true) };
      } catch (err) {
        throw asEffectError(err, 'kubernetes');
      }
    },

    async establishConnection(signal) {
      const { values, problems } = await readConfiguration();
      if (!values.connectorUrl || !values.token) throw new EffectError('invalid-config', problems.join('; '));
      let result: connector.ConnectionResult;
      try {
        result = await connector.establishConnection({
          ...transport,
          connectorUrl: values.connectorUrl,
          token: values.token,
          keyBits: config.rsaKeyBits,
          newKey,
          runtimeId: values.runtimeId,
          signal,
        });
      } catch (err) {
        throw asEffectError(err);
      }
      const preserved = await preserve(result);
      logger.info({ connector: values.connectorUrl, notAfter: preserved.validity.notAfter }, 'client certificate acquired with the one-time token');
      return {
        at: at(),
        certificateValidity: preserved.validity,
        managementInfo: result.managementInfo,
        tokenFingerprint: tokenFingerprint(values.token),
      };
    },

    async checkConnection({ managementInfo }, signal) {
      const current = requireIdentity();
      let returned: ManagementInfo;
      try {
        returned = await connector.checkConnection({ ...transport, connectorUrl: managementInfo.connectorUrl, clientCertificate: current, signal });
      } catch (err) {
        throw asEffectError(err);
      }
      // Both Secrets must exist and still hold the certificate we present; anything else is repaired by renewal.
      let credentialsExist: boolean;
      try {
        const cluster = await secrets.getData(config.clusterCertificatesSecret.namespace, config.clusterCertificatesSecret.name);
        const ca = await secrets.getData(config.caCertificatesSecret.namespace, config.caCertificatesSecret.name);
        credentialsExist = ca !== null && cluster !== null && cluster.crt === current.clientCertificatePem && cluster.key === current.keyPem;
      } catch (err) {
        throw asEffectError(err, 'kubernetes');
      }
      return { at: at(), managementInfo: returned, credentialsExist };
    },

    async renewCertificate({ managementInfo }, signal) {
      const current = requireIdentity();
      let result: connector.ConnectionResult;
      try {
        result = await connector.renewCertificate({
          ...transport,
          connectorUrl: managementInfo.connectorUrl,
          clientCertificate: current,
          keyBits: config.rsaKeyBits,
          newKey,
          signal,
        });
      } catch (err) {
        throw asEffectError(err);
      }
      const preserved = await preserve(result);
      logger.info({ notAfter: preserved.validity.notAfter }, 'client certificate renewed');
      return { at: at(), certificateValidity: preserved.validity, managementInfo: result.managementInfo };
    },

    async synchronize({ managementInfo }, signal): Promise<SyncOutcome> {
      const started = options.now();
      const outcome = await synchronizeOnce(managementInfo, signal);
      metrics?.observeSync(outcome.result, (options.now() - started) / 1000);
      if (outcome.summary) metrics?.countApplicationOperations(outcome.summary);
      return outcome;
    },

    async close() {
      applications.close();
    },
  };

  async function synchronizeOnce(managementInfo: ManagementInfo, signal: AbortSignal): Promise<SyncOutcome> {
    const failed = (error: string): SyncOutcome => ({ at: at(), result: 'SynchronizationFailed', error });
    let runtime;
    try {
      runtime = await readConfiguration();
    } catch (err) {
      return failed(`Failed to read Runtime config: ${(err as Error).message}`);
    }
    const { runtimeId, tenant } = runtime.values;
    if (!runtimeId || !tenant) return failed(`Failed to read Runtime config: ${runtime.problems.join('; ')}`);
    let current: ClientIdentity;
    try {
      current = requireIdentity();
    } catch (err) {
      return failed(`Failed to prepare configuration client: ${(err as Error).message}`);
    }
    let director: DirectorClient;
    try {
      director = new DirectorClient({ ...transport, url: managementInfo.directorUrl, tenant, clientCertificate: current, runtimeId });
    } catch (err) {
      // e.g. the Connector named a Director URL that is not a URL (reference: "Failed to prepare configuration client").
      return failed(`Failed to prepare configuration client: ${(err as Error).message}`);
    }
    try {
      let configuration: RuntimeConfiguration;
      try {
        configuration = await director.fetchRuntimeConfiguration(runtimeId, { signal, memory: directorPages });
      } catch (err) {
        return failed(`Failed to fetch configuration: ${(err as Error).message}`);
      }
      const fetchedAt = at();
      const { runtimeLabels } = configuration;
      metrics?.setManagedApplications(configuration.applications.length);
      if (configuration.pages) metrics?.countDirectorPages(configuration.pages);
      if (++cyclesSinceSecretRecheck >= SECRET_RECHECK_CYCLES) {
        secretContent.clear();
        cyclesSinceSecretRecheck = 0;
      }
      let report;
      try {
        report = await applyConfiguration(configuration, ports, {
          centralGatewayUrl: config.centralGatewayServiceUrl,
          skipAppsTlsVerify: config.skipAppsTlsVerify,
          integrationNamespace: config.integrationNamespace,
          secretContent,
        });
      } catch (err) {
        return { at: at(), result: 'ResourceApplicationFailed', error: (err as Error).message, fetchedAt };
      }
      const summary = {
        created: report.created,
        updated: report.updated,
        deleted: report.deleted,
        unchanged: report.unchanged,
        failed: report.failed.length + report.skippedDuplicates.length,
      };
      if (summary.created || summary.updated || summary.deleted || summary.failed) {
        logger.info({ ...summary, failures: report.message ?? undefined }, 'applications synchronized');
      }
      const appliedAt = at();
      try {
        for (const label of labelsToSet(runtimeLabels, { eventServiceUrl: config.runtimeEventsUrl, consoleUrl: config.runtimeConsoleUrl })) {
          await director.setRuntimeLabel(runtimeId, label.key, label.value, { signal });
          logger.info({ label: label.key, value: label.value }, 'runtime label set');
        }
      } catch (err) {
        return { at: at(), result: 'MetadataUpdateFailed', error: (err as Error).message, fetchedAt, summary };
      }
      if (report.message) return { at: at(), result: 'ResourceApplicationFailed', error: report.message, fetchedAt, summary };
      return { at: at(), result: 'Synchronized', fetchedAt, appliedAt, summary };
    } finally {
      await director.close();
    }
  }
}
