// The agent's effects, implemented with the real adapters: the Connector and Director clients, PKI,
// and the Kubernetes stores. Everything here is I/O; what to do and when is the machine's business.
import type { Logger } from '../../adapters/logger.js';
import { CompassError } from '../../adapters/compass/compass-error.js';
import * as connector from '../../adapters/compass/connector-client.js';
import { DirectorClient } from '../../adapters/compass/director-client.js';
import { ReusedClient } from '../../adapters/compass/reused-client.js';
import { DirectorPageMemory } from '../../adapters/compass/director-page-memory.js';
import type { RuntimeConfiguration, UnchangedConfiguration } from '../../adapters/compass/director-types.js';
import type { ClientCertificate } from '../../adapters/compass/graphql-transport.js';
import { parseCertificate, keyMatchesCertificate, toRfc3339 } from '../../adapters/pki/certificate.js';
import { SpareKey } from '../../adapters/pki/spare-key.js';
import type { SecretData, SecretStore } from '../../adapters/kube/secret-store.js';
import type { CompassConnectionObject, CompassConnectionStore } from '../../adapters/kube/compass-connection-store.js';
import type { ApplicationStore } from '../../adapters/kube/application-store.js';
import type { AgentMetrics } from '../../adapters/metrics.js';
import { insecureCompassSettings, type AgentConfig, type NamespacedName } from '../config.js';
import { CONSUMED_TOKEN_ANNOTATION } from '../status-projection.js';
import {
  applyConfiguration,
  type ApplyOptions,
  labelsToSet,
  quietPossible,
  runtimeLabelsLeftNote,
  unchangedReport,
} from '../applications/apply-configuration.js';
import type { SyncReport } from '../applications/sync-report.js';
import { SecretContentRecord } from '../applications/secret-content-record.js';
import { agentOwnSecrets } from '../applications/protected-secrets.js';
import { SecretRecheck, SecretRepair } from '../applications/secret-recheck.js';
import { registerSecret } from '../../adapters/redaction.js';
import { readConfigurationSecret, requireConnectionValues, tokenFingerprint, type SpentToken } from './configuration-secret.js';
import { managementInfoData, readStoredManagementInfo, sameManagementInfo } from './stored-management-info.js';
import { agentSecretWatch, syncPorts } from './sync-ports.js';
import { queryLogging } from './query-logging.js';
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
import { errorMessage } from '../../adapters/unknown-values.js';

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
  /**
   * The configuration Secret as its watch (SecretStore.observeSecret, agent.ts) last delivered it, its
   * data or null while it does not exist; undefined before the first delivery. A synchronisation takes
   * RUNTIME_ID and TENANT from here rather than reading the Secret again every cycle; a token exchange
   * always reads it.
   */
  watchedConfiguration?: () => { data: SecretData | null } | undefined;
  /**
   * The credential Secrets as their watches (agent.ts, credentials$) last delivered them; undefined
   * unless both delivered and neither failed since. A connection check that finds there the certificate
   * it presents and the management info the Connector returned reads nothing; otherwise it reads them.
   */
  watchedCredentials?: () => CredentialSecrets | undefined;
}

/** The client-certificate and CA Secrets' data, null where a Secret does not exist. */
export interface CredentialSecrets {
  cluster: SecretData | null;
  ca: SecretData | null;
}

/** A synchronisation's Director fetch: everything read, or the same answers as last time with the report that stands for them. */
type DirectorFetch = { full: RuntimeConfiguration } | { unchanged: UnchangedConfiguration; report: SyncReport };

/** The client identity presented to Compass, as stored in the cluster client-certificate Secret. */
interface ClientIdentity extends ClientCertificate {
  clientCertificatePem: string;
  validity: CertificateInfo;
}

export interface CompassEffects extends AgentEffects {
  /**
   * The identity currently presented to Compass (for readiness and metrics). A cache of the
   * client-certificate Secret, not a decision: see machines/effect-boundary.ts.
   */
  currentIdentity(): { validity: CertificateInfo } | undefined;
  /** What the credential Secrets' `read` says, without adopting it as the presented identity. */
  credentialsOf(read: CredentialSecrets): ObservedCredentials;
  close(): Promise<void>;
}

/**
 * Where list/watch of Secrets is forbidden: every recorded Secret is read again once per this many
 * sync periods, the reads spread evenly over them (secret-recheck.ts).
 */
export const SECRET_RECHECK_CYCLES = 10;

const ref = (n: NamespacedName) => `${n.namespace}/${n.name}`;

export function compassErrorKind(error: unknown): EffectErrorKind {
  if (error instanceof CompassError) {
    // A rejection may make the machine spend a fresh token: only Compass's own refusal or a TLS alert
    // against the certificate count; a reset, a timeout, a 5xx or a bare 401/403 is retried instead.
    if (error.kind === 'rejected' || error.tlsRejected) return 'rejected';
    if (error.kind === 'unreachable' || error.kind === 'aborted') return 'unreachable';
    // A refused http URL, a value a request cannot carry (e.g. a line break in TOKEN): nothing reached Compass.
    if (error.kind === 'insecure-url' || error.kind === 'local') return 'invalid-config';
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

/** The last identity read: the same key and certificates again (every cycle) are not parsed and matched again. */
let lastIdentity:
  { keyPem: string; clientCertificatePem: string; certificateChainPem: string; validity: ClientIdentity['validity'] } | undefined;

/** Reads the key, certificate and chain of the client-certificate Secret; throws what is wrong. */
export function readClientIdentity(data: Record<string, string>, secretRef: string): ClientIdentity {
  const keyPem = data.key ?? '';
  const clientCertificatePem = data.crt ?? '';
  const certificateChainPem = data.crtChain || clientCertificatePem;
  if (!keyPem || !clientCertificatePem) throw new Error(`Secret ${secretRef} lacks the keys "key" and "crt"`);
  registerSecret(keyPem, 'key');
  const last = lastIdentity;
  if (
    last &&
    last.keyPem === keyPem &&
    last.clientCertificatePem === clientCertificatePem &&
    last.certificateChainPem === certificateChainPem
  ) {
    return { keyPem, clientCertificatePem, certificateChainPem, validity: { ...last.validity } };
  }
  const certificate = parseCertificate(clientCertificatePem, `crt of Secret ${secretRef}`);
  if (!keyMatchesCertificate(keyPem, clientCertificatePem))
    throw new Error(`the key in Secret ${secretRef} does not belong to its certificate`);
  const validity = { notBefore: toRfc3339(certificate.notBefore), notAfter: toRfc3339(certificate.notAfter) };
  lastIdentity = { keyPem, clientCertificatePem, certificateChainPem, validity };
  return { keyPem, clientCertificatePem, certificateChainPem, validity: { ...validity } };
}

export function createCompassEffects(options: CompassEffectsOptions): CompassEffects {
  const { config, secrets, connections, applications, logger, metrics } = options;
  const at = () => new Date(options.now()).toISOString();
  const secretContent = new SecretContentRecord();
  // The record lets a quiet cycle skip every Secret request, so it would also never notice a Secret
  // deleted or edited by hand: a label watch of the Application Secrets tells each cycle which ones to
  // repair; where list/watch is forbidden, a background pass reads the recorded Secrets one at a time
  // over SECRET_RECHECK_CYCLES sync periods instead (secret-recheck.ts says why).
  const ports = syncPorts(applications, secrets);
  const secretRepair = new SecretRepair(secretContent, {
    namespace: config.integrationNamespace,
    watch: () => agentSecretWatch(secrets, config.integrationNamespace),
    fallback: new SecretRecheck(secretContent, ports.secrets, {
      periodMs: SECRET_RECHECK_CYCLES * config.controllerSyncPeriodMs,
      onError: (namespace, name, err) =>
        logger.debug(
          { secret: `${namespace}/${name}`, reason: errorMessage(err) },
          're-reading an Application Secret failed; it is read again in the next pass',
        ),
    }),
    onForbidden: (message) =>
      logger.warn(
        { namespace: config.integrationNamespace, reason: message },
        `list/watch of Secrets in ${config.integrationNamespace} is forbidden: Application Secrets deleted or edited by hand are noticed by re-reading them over ${SECRET_RECHECK_CYCLES} sync periods instead of within one cycle (grant list and watch on secrets there, as deploy/rbac.yaml does)`,
      ),
  });
  secretRepair.start();
  // The Application cache lists and watches from the start too (as a controller's informers do), so
  // that it has synced by the first apply: an apply whose start found it unsynced cannot tell its own
  // writes from others' changes, and the cycle after it plans everything again (sync-memory.ts).
  applications.start();
  // Why the Runtime's labels are left alone (unconfigured URLs), for the status and, once, the log.
  const runtimeUrls = { eventServiceUrl: config.runtimeEventsUrl, consoleUrl: config.runtimeConsoleUrl };
  const labelsLeftNote = runtimeLabelsLeftNote(runtimeUrls);
  let labelsLeftLogged = false;
  // The agent's own Secrets: whatever the Director sends, no Application Secret may be one of them.
  const protectedSecrets = agentOwnSecrets(config);
  // Director answers identical to the last fetch's are taken as read then (content-addressed).
  const directorPages = new DirectorPageMemory();
  // The mutual-TLS clients, kept from cycle to cycle with their connections while URL and certificate stay.
  const directorClient = new ReusedClient<DirectorClient>();
  const connectorClient = new ReusedClient<connector.CertificateSecuredConnector>();
  let identity: ClientIdentity | undefined;
  // The next RSA key is generated ahead, so connecting and renewing do not wait seconds for it.
  const spareKey = new SpareKey(config.rsaKeyBits);
  spareKey.prepare();
  const newKey = () => spareKey.take();

  const transport = {
    caPem: options.compassCaPem,
    insecureSkipVerify: config.skipCompassTlsVerify,
    allowPlainHttp: config.allowInsecureCompassHttp,
    onInsecureConnection: (warning: string) => logger.warn({ settings: insecureCompassSettings(config) }, warning),
    timeoutMs: config.compassRequestTimeoutMs,
    onOperation: queryLogging(config.queryLogging, logger),
  };
  // One-time tokens this process exchanged, and the one compass-connection records as consumed.
  const spentTokens = new Map<string, SpentToken>();
  const consumedTokenOfCr = async (): Promise<SpentToken[]> => {
    const fingerprint = (await connections.get().catch(() => null))?.metadata.annotations?.[CONSUMED_TOKEN_ANNOTATION];
    return fingerprint
      ? [{ fingerprint, evidence: `its fingerprint is in the annotation ${CONSUMED_TOKEN_ANNOTATION} of compass-connection` }]
      : [];
  };
  const storedUrlSource = (what: string) => `the ${what} URL stored in Secret ${ref(config.clusterCertificatesSecret)}`;

  /** `watched`: what the Secret's watch last delivered will do, when it has delivered anything. */
  const readConfiguration = async ({ watched }: { watched: boolean }) => {
    const delivered = watched ? options.watchedConfiguration?.() : undefined;
    const data = delivered
      ? delivered.data
      : await secrets.getData(config.agentConfigurationSecret.namespace, config.agentConfigurationSecret.name).catch((err: unknown) => {
          throw new EffectError('kubernetes-read', `cannot read Secret ${ref(config.agentConfigurationSecret)}: ${errorMessage(err)}`);
        });
    return readConfigurationSecret(data, ref(config.agentConfigurationSecret), { allowPlainHttp: config.allowInsecureCompassHttp });
  };

  /**
   * Key, certificate, chain and the management info in one Secret write (never a key without its
   * certificate, nor URLs from anywhere but the Connector's answer), then the CA.
   */
  const preserve = async (result: connector.ConnectionResult): Promise<ClientIdentity> => {
    registerSecret(result.privateKeyPem, 'key');
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
        ...managementInfoData(result.managementInfo),
      });
      await secrets.upsertMerge(config.caCertificatesSecret.namespace, config.caCertificatesSecret.name, {
        cacert: result.credentials.caCertificatePem,
      });
    } catch (err) {
      throw new EffectError(
        'kubernetes',
        `cannot write the certificate Secrets ${ref(config.clusterCertificatesSecret)} and ${ref(config.caCertificatesSecret)}: ${errorMessage(err)}`,
      );
    }
    identity = next;
    metrics?.setCertificateExpiry(next.validity.notAfter);
    return next;
  };

  /** The machine passes the management info the agent stored; none means there is nowhere trusted to go. */
  const requireManagementInfo = (managementInfo: ManagementInfo | null | undefined): ManagementInfo => {
    if (!managementInfo?.connectorUrl || !managementInfo.directorUrl) {
      throw new EffectError(
        'invalid-config',
        `no Compass URLs are stored in Secret ${ref(config.clusterCertificatesSecret)}; put a new one-time token into Secret ${ref(config.agentConfigurationSecret)} to reconnect`,
      );
    }
    return managementInfo;
  };

  const requireIdentity = (): ClientIdentity => {
    if (!identity) {
      throw new EffectError(
        'invalid-config',
        `no client certificate is loaded: Secret ${ref(config.clusterCertificatesSecret)} is missing or unreadable; put a new one-time token into Secret ${ref(config.agentConfigurationSecret)} to reconnect`,
      );
    }
    return identity;
  };

  const readCredentialSecrets = async (): Promise<CredentialSecrets> => ({
    cluster: await secrets.getData(config.clusterCertificatesSecret.namespace, config.clusterCertificatesSecret.name),
    ca: await secrets.getData(config.caCertificatesSecret.namespace, config.caCertificatesSecret.name),
  });

  /** What `read` says about the credentials; `adopt` makes its certificate the one presented to Compass. */
  const credentialsOf = ({ cluster, ca }: CredentialSecrets, adopt: boolean): ObservedCredentials => {
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
        logger.warn({ secret: ref(config.clusterCertificatesSecret), reason: errorMessage(err) }, 'client certificate Secret is unusable');
      }
    }
    return observed;
  };

  /** Both Secrets exist, and the client-certificate one holds the key and certificate presented. */
  const holdIdentity = (read: CredentialSecrets, current: ClientIdentity): boolean =>
    read.ca !== null && read.cluster?.crt === current.clientCertificatePem && read.cluster.key === current.keyPem;

  return {
    currentIdentity: () => (identity ? { validity: identity.validity } : undefined),
    credentialsOf: (read) => credentialsOf(read, false),

    async loadState() {
      try {
        const cr = observedCr(await connections.get());
        const read = await readCredentialSecrets();
        const credentialsSecrets = credentialsOf(read, true);
        // The Secret's management info, never the CR's: see stored-management-info.ts.
        return { at: at(), cr, credentialsSecrets, managementInfo: readStoredManagementInfo(read.cluster) };
      } catch (err) {
        throw asEffectError(err, 'kubernetes-read');
      }
    },

    async establishConnection(_input, signal) {
      const reading = await readConfiguration({ watched: false });
      const values = requireConnectionValues(reading, ref(config.agentConfigurationSecret), [
        ...spentTokens.values(),
        ...(await consumedTokenOfCr()),
      ]);
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
      // From here on the token is spent, even if the certificate cannot be stored.
      const fingerprint = tokenFingerprint(values.token);
      spentTokens.set(fingerprint, { fingerprint, evidence: `it was exchanged for a certificate at ${at()}` });
      const preserved = await preserve(result);
      logger.info(
        { connector: values.connectorUrl, notAfter: preserved.validity.notAfter },
        'client certificate acquired with the one-time token',
      );
      return {
        at: at(),
        certificateValidity: preserved.validity,
        managementInfo: result.managementInfo,
        tokenFingerprint: tokenFingerprint(values.token),
      };
    },

    async checkConnection(input, signal) {
      const current = requireIdentity();
      const managementInfo = requireManagementInfo(input.managementInfo);
      let returned: ManagementInfo;
      try {
        const client = connectorClient.get(
          [managementInfo.connectorUrl, current.keyPem, current.certificateChainPem],
          () =>
            new connector.CertificateSecuredConnector({
              ...transport,
              urlSource: storedUrlSource('certificate-secured Connector'),
              url: managementInfo.connectorUrl,
              clientCertificate: current,
            }),
        );
        returned = await client.checkConnection(signal);
      } catch (err) {
        throw asEffectError(err);
      }
      // Both Secrets must exist and still hold the certificate we present; anything else is repaired by
      // renewal. What their watches delivered settles it when it agrees; when it does not (a Secret
      // deleted or edited, or a write of the agent's own not delivered yet), the API server decides.
      let read: CredentialSecrets;
      const watched = options.watchedCredentials?.();
      if (watched && holdIdentity(watched, current) && sameManagementInfo(readStoredManagementInfo(watched.cluster), returned)) {
        read = watched;
      } else {
        try {
          read = await readCredentialSecrets();
        } catch (err) {
          throw asEffectError(err, 'kubernetes-read');
        }
      }
      const credentialsExist = holdIdentity(read, current);
      // The Connector moved Compass: the URLs a restart resumes with follow it (only ever from its answer).
      if (credentialsExist && !sameManagementInfo(readStoredManagementInfo(read.cluster), returned)) {
        try {
          await secrets.upsertMerge(
            config.clusterCertificatesSecret.namespace,
            config.clusterCertificatesSecret.name,
            managementInfoData(returned),
          );
        } catch (err) {
          throw new EffectError(
            'kubernetes',
            `cannot store the management info in Secret ${ref(config.clusterCertificatesSecret)}: ${errorMessage(err)}`,
          );
        }
      }
      return { at: at(), managementInfo: returned, credentialsExist };
    },

    async renewCertificate(input, signal) {
      const current = requireIdentity();
      const managementInfo = requireManagementInfo(input.managementInfo);
      let result: connector.ConnectionResult;
      try {
        result = await connector.renewCertificate({
          ...transport,
          urlSource: storedUrlSource('certificate-secured Connector'),
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
      await Promise.all([secretRepair.stop(), directorClient.close(), connectorClient.close()]);
    },
  };

  /**
   * What the Director says: when the synchronisation could be quiet, first whether it says exactly what
   * it said last time (no page parsed; the last quiet apply's report then stands), otherwise everything, read.
   */
  async function fetchDirector(
    director: DirectorClient,
    runtimeId: string,
    signal: AbortSignal,
    applyOptions: ApplyOptions,
  ): Promise<DirectorFetch> {
    if (quietPossible(ports, applyOptions)) {
      const unchanged = await director.fetchUnchanged(runtimeId, { signal, memory: directorPages });
      const report = unchanged && unchangedReport(unchanged, ports, applyOptions);
      if (unchanged && report) return { unchanged, report };
    }
    return { full: await director.fetchRuntimeConfiguration(runtimeId, { signal, memory: directorPages }) };
  }

  async function synchronizeOnce(stored: ManagementInfo | null, signal: AbortSignal): Promise<SyncOutcome> {
    const failed = (error: string): SyncOutcome => ({ at: at(), result: 'SynchronizationFailed', error });
    let runtime;
    try {
      runtime = await readConfiguration({ watched: true });
    } catch (err) {
      return failed(`Failed to read Runtime config: ${errorMessage(err)}`);
    }
    const { runtimeId, tenant } = runtime.values;
    if (!runtimeId || !tenant) return failed(`Failed to read Runtime config: ${runtime.problems.join('; ')}`);
    let current: ClientIdentity;
    let managementInfo: ManagementInfo;
    try {
      current = requireIdentity();
      managementInfo = requireManagementInfo(stored);
    } catch (err) {
      return failed(`Failed to prepare configuration client: ${errorMessage(err)}`);
    }
    let director: DirectorClient;
    try {
      director = directorClient.get(
        [managementInfo.directorUrl, tenant, runtimeId, current.keyPem, current.certificateChainPem],
        () =>
          new DirectorClient({
            ...transport,
            urlSource: storedUrlSource('Director'),
            url: managementInfo.directorUrl,
            tenant,
            clientCertificate: current,
            runtimeId,
          }),
      );
    } catch (err) {
      // e.g. the Connector named a Director URL that is not a URL (reference: "Failed to prepare configuration client").
      return failed(`Failed to prepare configuration client: ${errorMessage(err)}`);
    }
    const applyOptions: ApplyOptions = {
      centralGatewayUrl: config.centralGatewayServiceUrl,
      skipAppsTlsVerify: config.skipAppsTlsVerify,
      integrationNamespace: config.integrationNamespace,
      protectedSecrets,
      secretContent,
    };
    // Application Secrets edited or deleted by hand are forgotten by the record, which makes the apply repair them.
    secretRepair.forgetChanged();
    let fetched: DirectorFetch;
    try {
      fetched = await fetchDirector(director, runtimeId, signal, applyOptions);
    } catch (err) {
      return failed(`Failed to fetch configuration: ${errorMessage(err)}`);
    }
    const fetchedAt = at();
    const { runtimeLabels, pages } = 'full' in fetched ? fetched.full : fetched.unchanged;
    if (pages) metrics?.countDirectorPages(pages);
    let report: SyncReport;
    let managed: number;
    if ('full' in fetched) {
      managed = fetched.full.applications.length; // counted before the apply, which consumes them
      if (fetched.full.prefetch) metrics?.countDirectorPrefetch(fetched.full.prefetch);
      try {
        report = await applyConfiguration(fetched.full, ports, applyOptions);
      } catch (err) {
        return { at: at(), result: 'ResourceApplicationFailed', error: errorMessage(err), fetchedAt };
      }
    } else {
      report = fetched.report;
      managed = report.unchanged;
    }
    metrics?.setManagedApplications(managed);
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
    if (report.goEra.adopted.length || report.goEra.deleted.length) {
      logger.info(
        { adopted: report.goEra.adopted, deleted: report.goEra.deleted },
        'Applications created by the Go agent (compassMetadata, no managed-by label): adopted where the Director assigns them, deleted where it does not',
      );
    }
    const appliedAt = at();
    try {
      if (labelsLeftNote && !labelsLeftLogged) {
        labelsLeftLogged = true;
        logger.warn(labelsLeftNote);
      }
      for (const label of labelsToSet(runtimeLabels, runtimeUrls)) {
        await director.setRuntimeLabel(runtimeId, label.key, label.value, { signal });
        logger.info({ label: label.key, value: label.value }, 'runtime label set');
      }
    } catch (err) {
      return { at: at(), result: 'MetadataUpdateFailed', error: errorMessage(err), fetchedAt, summary };
    }
    const note = labelsLeftNote ? { note: labelsLeftNote } : {};
    if (report.message) return { at: at(), result: 'ResourceApplicationFailed', error: report.message, fetchedAt, summary, ...note };
    return { at: at(), result: 'Synchronized', fetchedAt, appliedAt, summary, ...note };
  }
}
