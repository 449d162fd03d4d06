// Acceptance: the upgrade of a cluster the Go agent ran on, with the README's commands. The cluster
// starts as the Go agent leaves it: the upstream CRDs, the Kyma chart's ServiceAccount, RBAC and
// Deployment (../shared/spec/upstream-install, created as an operator creates them, without kubectl's
// last-applied annotation), the configuration Secret with the token the Go agent used, its
// certificate Secrets, its CompassConnection, Go-era Applications (no managed-by label) with their
// credential and request-parameter Secrets, a late Go agent's labelled Application, and objects that
// are nobody's business of the agent. The README's "Upgrading from the Go agent" block runs as it is
// (bash, kubectl against the simulator, on a copy of crds/ and deploy/); the agent then runs as its
// ServiceAccount with the environment of the Deployment the commands applied, trusting Compass through
// the CA the commands put into the cluster. It ends Synchronized: the Go-era Application the Director
// assigns adopted (same object, labelled, its Secrets updated), the one it no longer assigns deleted
// with its Secrets, and every other object byte-identical, but for what the commands and the agent own.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { establishConnection } from '../../adapters/compass/connector-client.js';
import { FAST_ENV, startHarness, type Harness } from '../helpers/agent-harness.js';
import { agentEnvironment, copyOfDeploy, readmeUpgradeCommands, renderKustomization } from '../helpers/deploy-copy.js';
import { APP_API, uuid } from '../helpers/sync-checks.js';
import { upstreamInstallFile } from '../helpers/upstream-files.js';

const run = promisify(execFile);
const CHART = upstreamInstallFile('go-agent-install.yaml');
const UPSTREAM_CRDS = [upstreamInstallFile('applications-crd.yaml'), upstreamInstallFile('compassconnections-crd.yaml')];
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

const KS = 'kyma-system';
const MANAGED_BY = 'applicationconnector.kyma-project.io/managed-by';
const CONNECTION_API = 'compass.kyma-project.io/v1alpha1';
const DOMAIN = 'c-7e1d.kyma.example.org';
const AGENT_USER = 'system:serviceaccount:kyma-system:compass-runtime-agent';

/** Every kind a deployment of the agent, or the agent, could touch: compared before and after. */
const KINDS: Array<[string, string]> = [
  ['v1', 'Namespace'],
  ['v1', 'Secret'],
  ['v1', 'ConfigMap'],
  ['v1', 'ServiceAccount'],
  ['v1', 'Service'],
  ['apps/v1', 'Deployment'],
  ['networking.k8s.io/v1', 'NetworkPolicy'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['rbac.authorization.k8s.io/v1', 'Role'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'],
  [APP_API, 'Application'],
  [CONNECTION_API, 'CompassConnection'],
];
const keyOf = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ''}/${name}`;

function snapshot(h: Harness): Map<string, string> {
  const objects = new Map<string, string>();
  for (const [apiVersion, kind] of KINDS) {
    for (const object of h.sims.kube.list(apiVersion, kind))
      objects.set(keyOf(kind, object.metadata.namespace, object.metadata.name), JSON.stringify(object));
  }
  return objects;
}

/** A Director application with one bundle: Basic credentials, a request header, one API. */
function directorApp(n: number, name: string, password: string) {
  return {
    id: uuid('9a000000', n),
    name,
    description: `${name} from Compass`,
    bundles: [
      {
        id: uuid('9b000000', n),
        name: `${name} api`,
        defaultInstanceAuth: {
          credential: { __typename: 'BasicCredentialData' as const, username: `${name}-user`, password },
          additionalHeaders: { 'x-shop': [name] },
        },
        apiDefinitions: [{ id: uuid('9c000000', n), name: `${name} api`, targetURL: `https://${name}.example.com/api` }],
      },
    ],
  };
}

const credentialsName = (name: string, n: number) => `${name}-${uuid('9b000000', n)}`;
const paramsName = (name: string, n: number) => `params-${name}-${uuid('9b000000', n)}`;

/** An Application as the Go agent wrote it for `directorApp(n, name)`, possibly with older content; no label unless `labelled`. */
function goEraApplication(
  n: number,
  name: string,
  options: { labelled?: boolean; description?: string; annotations?: Record<string, string>; skipVerify?: boolean } = {},
) {
  const bundleId = uuid('9b000000', n);
  return {
    apiVersion: APP_API,
    kind: 'Application',
    metadata: {
      name,
      ...(options.labelled ? { labels: { [MANAGED_BY]: 'compass-runtime-agent' } } : {}),
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      description: options.description ?? `${name} from Compass`,
      skipInstallation: false,
      skipVerify: options.skipVerify ?? false,
      encodeUrl: false,
      labels: { 'connected-app': name },
      displayName: '',
      providerDisplayName: '',
      longDescription: '',
      compassMetadata: { applicationId: uuid('9a000000', n), authentication: { clientIds: [] } },
      services: [
        {
          id: bundleId,
          identifier: '',
          name: `${name}-api`,
          displayName: `${name} api`,
          description: 'Description not provided',
          providerDisplayName: '',
          entries: [
            {
              id: uuid('9c000000', n),
              name: `${name} api`,
              type: 'API',
              targetUrl: `https://${name}.example.com/api`,
              gatewayUrl: '',
              centralGatewayUrl: `http://central-application-gateway.kyma-system.svc.cluster.local:8082/${name}/${name}-api/${name}-api`,
              specificationUrl: '',
              credentials: { type: 'Basic', secretName: credentialsName(name, n) },
              requestParametersSecretName: paramsName(name, n),
            },
          ],
        },
      ],
    },
  };
}

/** The Go agent's Secret: its labels, an ownerReference to the Application (name and uid), Opaque data. */
function goEraSecret(name: string, owner: { name: string; uid: string }, labels: Record<string, string>, data: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace: KS,
      labels,
      ownerReferences: [{ apiVersion: APP_API, kind: 'Application', name: owner.name, uid: owner.uid }],
    },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
  };
}

async function kubectlCreate(h: Harness, objects: object[]): Promise<void> {
  const file = join(h.dir, `create-${Date.now()}-${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(file, objects.map((object) => stringify(object)).join('---\n'));
  await h.kubectl('create', '-f', file);
}

if (!CHART || UPSTREAM_CRDS.some((file) => !file)) {
  t.plan(0, "skipped: ../shared/spec/upstream-install (the Kyma chart's objects for the Go agent) is absent");
} else {
  t.test(
    "upgrade from the Go agent with the README's commands ends Synchronized, Go-era Applications adopted or deleted, nothing else touched",
    async (t) => {
      const h = await startHarness({ apps: 0, install: false });
      t.teardown(() => h.close());
      const compass = h.sims.compass.control;
      const runtimeId = h.sims.compass.runtimeId;

      // ---- the cluster as the Go agent leaves it ----
      await h.kubectl('delete', 'crd', 'applications.applicationconnector.kyma-project.io', 'compassconnections.compass.kyma-project.io');
      await h.kubectl('create', '-f', UPSTREAM_CRDS[0]!, '-f', UPSTREAM_CRDS[1]!);
      const chart = parseAllDocuments(readFileSync(CHART, 'utf8'))
        .map((doc) => doc.toJS())
        .filter(Boolean);
      // The ServiceAccount exists already (its token is the agent's kubeconfig): it gets the chart's labels.
      const serviceAccount = chart.find((doc) => doc.kind === 'ServiceAccount');
      await h.kubectl(
        '-n',
        KS,
        'label',
        'serviceaccount',
        'compass-runtime-agent',
        ...Object.entries(serviceAccount.metadata.labels).map(([k, v]) => `${k}=${v}`),
      );
      await kubectlCreate(
        h,
        chart.filter((doc) => doc.kind !== 'ServiceAccount'),
      );
      const goDeployment = h.sims.kube.get('apps/v1', 'Deployment', 'compass-runtime-agent', KS)!;
      t.same(
        goDeployment.spec.selector.matchLabels,
        { app: 'compass-runtime-agent', release: 'compass-runtime-agent' },
        "the chart's Deployment",
      );

      compass.upsertRuntime({
        id: runtimeId,
        labels: {
          ...compass.runtimeLabels(runtimeId),
          isNormalized: 'true',
          runtime_eventServiceUrl: 'https://gateway.kyma.example.com',
          runtime_consoleUrl: 'https://console.kyma.example.com',
        },
      });
      // The Go agent's connection: a certificate from the one-time token, which is now spent.
      const usedToken = h.sims.compass.mintToken();
      const goConnection = await establishConnection({
        connectorUrl: h.sims.compass.connectorUrl,
        token: usedToken,
        keyBits: 2048,
        caPem: h.sims.compass.serverCaPem,
        timeoutMs: 10_000,
      });
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      await kubectlCreate(h, [
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'compass-agent-configuration', namespace: KS },
          type: 'Opaque',
          stringData: {
            CONNECTOR_URL: h.sims.compass.connectorUrl,
            RUNTIME_ID: runtimeId,
            TENANT: h.sims.compass.tenant,
            TOKEN: usedToken,
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'cluster-client-certificates', namespace: KS },
          type: 'Opaque',
          stringData: {
            crt: goConnection.credentials.clientCertificatePem,
            key: goConnection.privateKeyPem,
            crtChain: goConnection.credentials.certificateChainPem,
          },
        },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'kyma-gateway-certs-cacert', namespace: 'istio-system' },
          type: 'Opaque',
          stringData: { cacert: goConnection.credentials.caCertificatePem },
        },
        {
          apiVersion: CONNECTION_API,
          kind: 'CompassConnection',
          metadata: {
            name: 'compass-connection',
            labels: { team: 'platform' },
            annotations: { 'platform.example.com/note': 'kept by the upgrade' },
          },
          spec: {
            managementInfo: {
              connectorUrl: goConnection.managementInfo.connectorUrl,
              directorUrl: goConnection.managementInfo.directorUrl,
            },
            refreshCredentialsNow: false,
            resyncNow: false,
          },
          status: {
            connectionState: 'Synchronized',
            connectionStatus: {
              established: now,
              lastSync: now,
              lastSuccess: now,
              certificateStatus: { acquired: now, notBefore: now, notAfter: now },
            },
            synchronizationStatus: { lastAttempt: now, lastSuccessfulFetch: now, lastSuccessfulApplication: now },
          },
        },
      ]);

      // Director: orders (assigned, Go-era CR with older content), catalog (assigned, a late Go agent's labelled CR),
      // shipping (assigned, no CR yet); billing is no longer assigned (Go-era CR).
      compass.upsertApplication(directorApp(1, 'orders', 'orders-new-password'));
      compass.upsertApplication(directorApp(2, 'catalog', 'catalog-password'));
      compass.upsertApplication(directorApp(3, 'shipping', 'shipping-password'));
      await kubectlCreate(h, [
        goEraApplication(1, 'orders', {
          description: 'orders, as described in 2020',
          annotations: { 'team.example.com/owner': 'orders' },
          skipVerify: true,
        }),
        goEraApplication(2, 'catalog', { labelled: true }),
        goEraApplication(4, 'billing'),
        // Not the agent's: no compassMetadata; another manager's label.
        {
          apiVersion: APP_API,
          kind: 'Application',
          metadata: { name: 'legacy-erp', labels: { team: 'erp' } },
          spec: { description: 'connected by hand', services: [] },
        },
        { ...goEraApplication(5, 'partner-portal'), metadata: { name: 'partner-portal', labels: { [MANAGED_BY]: 'partner-operator' } } },
      ]);
      const uid = (name: string) => h.sims.kube.get(APP_API, 'Application', name)!.metadata.uid as string;
      const ordersUid = uid('orders');
      await kubectlCreate(h, [
        // An API-package-era credential Secret (serviceId), not rewritten since (same data).
        goEraSecret(
          credentialsName('orders', 1),
          { name: 'orders', uid: ordersUid },
          { app: 'orders', serviceId: uuid('9b000000', 1) },
          { username: 'orders-user', password: 'orders-old-password' },
        ),
        goEraSecret(
          paramsName('orders', 1),
          { name: 'orders', uid: ordersUid },
          { app: 'orders', bundleId: uuid('9b000000', 1) },
          { headers: '{"x-shop":["orders-2020"]}' },
        ),
        goEraSecret(
          credentialsName('catalog', 2),
          { name: 'catalog', uid: uid('catalog') },
          { app: 'catalog', bundleId: uuid('9b000000', 2) },
          { username: 'catalog-user', password: 'catalog-password' },
        ),
        goEraSecret(
          paramsName('catalog', 2),
          { name: 'catalog', uid: uid('catalog') },
          { app: 'catalog', bundleId: uuid('9b000000', 2) },
          { headers: '{"x-shop":["catalog"]}' },
        ),
        goEraSecret(
          credentialsName('billing', 4),
          { name: 'billing', uid: uid('billing') },
          { app: 'billing', bundleId: uuid('9b000000', 4) },
          { username: 'billing-user', password: 'billing-password' },
        ),
        goEraSecret(
          paramsName('billing', 4),
          { name: 'billing', uid: uid('billing') },
          { app: 'billing', bundleId: uuid('9b000000', 4) },
          { headers: '{"x-shop":["billing"]}' },
        ),
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'erp-database', namespace: KS, labels: { app: 'legacy-erp' } },
          type: 'Opaque',
          stringData: { password: 'erp-db-password' },
        },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'gateway-tls', namespace: 'istio-system' },
          type: 'Opaque',
          stringData: { 'tls.key': 'not-a-real-key' },
        },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'skr-configmap', namespace: KS },
          data: { 'is-managed-kyma-runtime': 'true' },
        },
      ]);
      const before = snapshot(h);
      const oldCredentialUids = Object.fromEntries(
        [credentialsName('orders', 1), paramsName('orders', 1)].map((name) => [
          name,
          h.sims.kube.get('v1', 'Secret', name, KS)!.metadata.uid,
        ]),
      );

      // ---- the README's commands ----
      const copy = copyOfDeploy();
      t.teardown(() => copy.remove());
      const block = readmeUpgradeCommands(README).trimEnd();
      const lines = block.split('\n');
      t.match(
        lines.at(-1),
        /^kubectl wait compassconnection\/compass-connection --for=condition=Synchronized /,
        "the block ends waiting for the agent's Synchronized condition",
      );
      const caFile = join(copy.root, 'compass-gateway-ca.pem');
      writeFileSync(caFile, h.sims.compass.serverCaPem);
      const freshToken = h.sims.compass.mintToken();
      const env = { ...process.env, KUBECONFIG: h.kubeconfigPath, TOKEN: freshToken, DOMAIN, COMPASS_CA: caFile };
      const shell = (script: string, timeout: number) => run('bash', ['-euo', 'pipefail', '-c', script], { cwd: copy.root, env, timeout });
      const setup = await shell(lines.slice(0, -1).join('\n'), 120_000).catch((error: { stderr?: string; message: string }) => {
        throw new Error(`the README's commands failed: ${error.stderr ?? error.message}`);
      });
      t.notMatch(setup.stderr, /error|invalid|forbidden/i, 'no command complained');

      const connectionCrd = h.sims.kube.get(
        'apiextensions.k8s.io/v1',
        'CustomResourceDefinition',
        'compassconnections.compass.kyma-project.io',
      )!;
      t.same(connectionCrd.spec.versions[0].subresources, { status: {} }, 'the CRD upgrade adds the status subresource');
      t.ok(connectionCrd.spec.versions[0].schema.openAPIV3Schema.properties.status.properties.conditions, 'and status.conditions');
      const deployment = h.sims.kube.get('apps/v1', 'Deployment', 'compass-runtime-agent', KS)!;
      t.same(deployment.spec.selector.matchLabels, { app: 'compass-runtime-agent' }, "the agent's Deployment replaced the chart's");
      const agentEnv = agentEnvironment(deployment);
      t.equal(agentEnv.APP_RUNTIME_EVENTS_URL, `https://gateway.${DOMAIN}`, 'the runtime URLs follow the domain');
      t.equal(agentEnv.APP_RUNTIME_CONSOLE_URL, `https://console.${DOMAIN}`);
      t.notOk('APP_SKIP_COMPASS_TLS_VERIFY' in agentEnv, "Compass's certificate is verified");
      const caConfigMap = h.sims.kube.list('v1', 'ConfigMap', KS).find((cm) => cm.metadata.name.startsWith('compass-gateway-ca-'));
      t.equal(caConfigMap?.data?.['ca.crt'], h.sims.compass.serverCaPem, 'the CA is in the cluster');
      const caPath = agentEnv.NODE_EXTRA_CA_CERTS;
      const container = deployment.spec.template.spec.containers.find((c: { name: string }) => c.name === 'agent');
      const mount = container.volumeMounts.find((m: { mountPath: string }) => caPath.startsWith(`${m.mountPath}/`));
      const volume = deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount?.name);
      t.equal(volume?.configMap?.name, caConfigMap?.metadata.name, 'NODE_EXTRA_CA_CERTS names the mounted CA');
      t.equal(caPath.slice(mount.mountPath.length + 1), 'ca.crt');
      t.equal(
        Buffer.from(h.sims.kube.get('v1', 'Secret', 'compass-agent-configuration', KS)!.data.TOKEN, 'base64').toString(),
        freshToken,
        'the fresh token is in the configuration Secret',
      );

      // ---- the agent, as its ServiceAccount, with the Deployment's environment (fast timings for the test) ----
      const {
        APP_HEALTH_PORT: _port,
        APP_DEBUG_ADDRESS: _debug,
        APP_CONTROLLER_SYNC_PERIOD: _period,
        APP_MINIMAL_COMPASS_SYNC_TIME: _minimal,
        ...deployed
      } = agentEnv;
      h.startAgent({ ...FAST_ENV, ...deployed, APP_DEBUG_ADDRESS: 'off' }, { compassCaPem: caConfigMap!.data['ca.crt'] });
      await shell(lines.at(-1)!.replace(/--timeout=\S+/, '--timeout=90s'), 120_000).catch((error: { stderr?: string; message: string }) => {
        throw new Error(
          `the README's kubectl wait failed: ${error.stderr ?? error.message}; CR status: ${JSON.stringify(h.connection()?.status)}`,
        );
      });
      t.equal(h.connection()?.status?.connectionState, 'Synchronized', 'kubectl wait saw the agent Synchronized');
      await h.waitForSyncCycles(2);
      const after = snapshot(h);

      // ---- what the agent did ----
      await t.test('the Go-era Application the Director assigns is adopted: same object, labelled, its Secrets updated', async (t) => {
        const orders = h.sims.kube.get(APP_API, 'Application', 'orders')!;
        t.equal(orders.metadata.uid, ordersUid, 'updated in place');
        t.equal(orders.metadata.labels[MANAGED_BY], 'compass-runtime-agent');
        t.equal(orders.spec.description, 'orders from Compass', 'owned fields follow the Director');
        t.equal(orders.spec.skipVerify, true, 'fields the agent does not own stay');
        t.same(orders.metadata.annotations, { 'team.example.com/owner': 'orders' });
        const credentials = h.sims.kube.get('v1', 'Secret', credentialsName('orders', 1), KS)!;
        t.equal(
          credentials.metadata.uid,
          oldCredentialUids[credentialsName('orders', 1)],
          "the Go agent's credential Secret updated, not replaced",
        );
        t.equal(h.secretData({ namespace: KS, name: credentialsName('orders', 1) })?.password, 'orders-new-password');
        t.match(credentials.metadata.labels, { app: 'orders', bundleId: uuid('9b000000', 1) });
        t.same(JSON.parse(h.secretData({ namespace: KS, name: paramsName('orders', 1) })!.headers), { 'x-shop': ['orders'] });
        t.match(h.logs.join('\n'), /Applications created by the Go agent/);
      });

      await t.test('the Go-era Application the Director no longer assigns is deleted with its Secrets', async (t) => {
        t.equal(h.sims.kube.get(APP_API, 'Application', 'billing'), undefined);
        t.equal(h.sims.kube.get('v1', 'Secret', credentialsName('billing', 4), KS), undefined);
        t.equal(h.sims.kube.get('v1', 'Secret', paramsName('billing', 4), KS), undefined);
      });

      await t.test("connected anew with the fresh token, the CR's other fields kept, labels from the domain, TLS verified", async (t) => {
        const cr = h.connection()!;
        t.equal(cr.status?.connectionState, 'Synchronized');
        t.match(cr.metadata, { labels: { team: 'platform' }, annotations: { 'platform.example.com/note': 'kept by the upgrade' } });
        t.match(
          cr.status?.conditions?.find((c) => c.type === 'SecureCompassTransport'),
          { status: 'True', reason: 'VerifiedTLS' },
        );
        const client = h.secretData({ namespace: KS, name: 'cluster-client-certificates' })!;
        t.not(client.crt, goConnection.credentials.clientCertificatePem, "a new certificate: the Go agent's is not resumed");
        t.ok(client.directorUrl && client.connectorUrl, 'the URLs it resumes with, from the Connector');
        t.match(compass.runtimeLabels(runtimeId), {
          runtime_eventServiceUrl: `https://gateway.${DOMAIN}`,
          runtime_consoleUrl: `https://console.${DOMAIN}`,
        });
        t.ok(
          h.sims.kube.requestLog.filter((e) => e.user === AGENT_USER).every((e) => e.status !== 403),
          'no request of the agent was forbidden',
        );
      });

      await t.test('nothing else touched', async (t) => {
        const rendered = renderKustomization(join(copy.root, 'deploy'));
        const fromDeploy = new Set(
          [
            ...rendered,
            ...parseAllDocuments(
              readFileSync(join(copy.root, 'crds', 'applications.applicationconnector.kyma-project.io.yaml'), 'utf8'),
            ).map((d) => d.toJS()),
            ...parseAllDocuments(readFileSync(join(copy.root, 'crds', 'compassconnections.compass.kyma-project.io.yaml'), 'utf8')).map(
              (d) => d.toJS(),
            ),
          ].map((doc) => keyOf(doc.kind, doc.metadata.namespace, doc.metadata.name)),
        );
        const agentOwned = new Set([
          keyOf('Secret', KS, 'compass-agent-configuration'), // the TOKEN the commands put there
          keyOf('Secret', KS, 'cluster-client-certificates'),
          keyOf('Secret', 'istio-system', 'kyma-gateway-certs-cacert'),
          keyOf('CompassConnection', undefined, 'compass-connection'),
          ...['orders', 'catalog', 'shipping', 'billing'].map((name) => keyOf('Application', undefined, name)),
          ...[
            [1, 'orders'],
            [2, 'catalog'],
            [3, 'shipping'],
            [4, 'billing'],
          ].flatMap(([n, name]) => [
            keyOf('Secret', KS, credentialsName(name as string, n as number)),
            keyOf('Secret', KS, paramsName(name as string, n as number)),
          ]),
        ]);
        const chartOnly = new Set([
          keyOf('Role', KS, 'compass-runtime-agent-client-cert-role'),
          keyOf('RoleBinding', KS, 'compass-runtime-agent-client-cert-rolebinding'),
          keyOf('Role', 'istio-system', 'compass-runtime-agent-ca-cert-role'),
          keyOf('RoleBinding', 'istio-system', 'compass-runtime-agent-ca-cert-rolebinding'),
        ]);
        const keys = new Set([...before.keys(), ...after.keys()]);
        const changed = [...keys].filter((key) => before.get(key) !== after.get(key)).sort();
        const unexpected = changed.filter((key) => !fromDeploy.has(key) && !agentOwned.has(key) && !chartOnly.has(key));
        t.same(unexpected, [], "every change is the commands' or the agent's");
        t.same(
          [...chartOnly].filter((key) => after.has(key)),
          [],
          "the chart's extra RBAC is gone",
        );
        t.same(
          [...keys].filter((key) => before.has(key) && !after.has(key)).sort(),
          [
            ...chartOnly,
            keyOf('Application', undefined, 'billing'),
            keyOf('Secret', KS, credentialsName('billing', 4)),
            keyOf('Secret', KS, paramsName('billing', 4)),
          ].sort(),
          "removed: the chart's extra RBAC and the unassigned Application with its Secrets",
        );
        for (const key of [
          keyOf('Application', undefined, 'legacy-erp'),
          keyOf('Application', undefined, 'partner-portal'),
          keyOf('Secret', KS, 'erp-database'),
          keyOf('Secret', 'istio-system', 'gateway-tls'),
          keyOf('ConfigMap', KS, 'skr-configmap'),
        ]) {
          t.ok(before.has(key) && before.get(key) === after.get(key), `${key} byte-identical`);
        }
        const configuration = (json: string | undefined) =>
          Object.fromEntries(Object.entries(JSON.parse(json!).data as Record<string, string>).filter(([k]) => k !== 'TOKEN'));
        t.same(
          configuration(after.get(keyOf('Secret', KS, 'compass-agent-configuration'))),
          configuration(before.get(keyOf('Secret', KS, 'compass-agent-configuration'))),
          'CONNECTOR_URL, RUNTIME_ID and TENANT unchanged',
        );
        t.same(
          JSON.parse(after.get(keyOf('Application', undefined, 'catalog'))!).metadata.uid,
          JSON.parse(before.get(keyOf('Application', undefined, 'catalog'))!).metadata.uid,
          "the late Go agent's Application is the same object",
        );
      });
    },
  );
}
