// The Kubernetes API simulator: an HTTPS apiserver on loopback with its own CA, client-certificate and
// bearer-token authentication, an in-memory store with the real API semantics, and fault injection.
import { randomBytes } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createCertificateAuthority, issueClientCertificate, issueServerCertificate } from '../tls/certificate-authority.js';
import { ApiHandler, type RequestLogEntry, type User } from './api-server.js';
import { FaultPlan, type KubeFaults } from './faults.js';
import { KubeStore, type KubeObject } from './store.js';
import { KubeStatusError } from './status-error.js';
import { startControlServer } from './control-server.js';
import { AccessControl } from './auth/access-control.js';

export type { RequestLogEntry, User } from './api-server.js';
export type { KubeFaults, FailureRule, LatencyRule, RequestMatch } from './faults.js';
export { KubeStatusError } from './status-error.js';

export interface KubeSimOptions {
  host?: string;
  port?: number;
  /** Apply every *.yaml / *.json in this folder at start (e.g. the project's crds/). */
  crdDir?: string;
  /** Created at start; default ['default', 'kube-system']. */
  namespaces?: string[];
  /** Watch-history events kept before older resourceVersions get 410 Expired; default 10,000. */
  historyLimit?: number;
  /** Interval of BOOKMARK events on watches that allow them; default 5,000 ms. */
  bookmarkIntervalMs?: number;
}

export interface KubeSim {
  readonly url: string;
  readonly caPem: string;
  kubeconfig(user?: { name: string; groups?: string[] }): Promise<string>;
  writeKubeconfig(path: string, user?: { name: string; groups?: string[] }): Promise<string>;
  /** A valid bearer token for user "admin" (group system:masters). */
  readonly bearerToken: string;
  /** Registers and returns a new bearer token for the user (a static token: RBAC decides what it may do). */
  issueToken(user: { name: string; groups?: string[] }): string;
  /**
   * A bound token (JWT) for the existing ServiceAccount NAMESPACE/NAME: it authenticates as
   * `system:serviceaccount:NAMESPACE:NAME` with groups system:serviceaccounts, system:serviceaccounts:NAMESPACE
   * and system:authenticated until it expires (default 3600 s) or the ServiceAccount is deleted.
   * Throws a 404 KubeStatusError when the ServiceAccount does not exist.
   */
  serviceAccountToken(namespace: string, name: string, options?: { expirationSeconds?: number }): string;
  /** A kubeconfig (YAML) that authenticates with a fresh `serviceAccountToken`; its context namespace is NAMESPACE. */
  serviceAccountKubeconfig(namespace: string, name: string, options?: { expirationSeconds?: number }): string;
  writeServiceAccountKubeconfig(path: string, namespace: string, name: string, options?: { expirationSeconds?: number }): Promise<string>;
  /** A client certificate and key (PEM) for the user, signed by caPem. */
  clientCertificate(user?: { name: string; groups?: string[] }): Promise<{ certPem: string; keyPem: string }>;
  readonly requestLog: RequestLogEntry[];
  clearRequestLog(): void;
  readonly faults: KubeFaults;
  create(obj: object): Promise<KubeObject>;
  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined;
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  /** Replaces an object (optimistic concurrency applies when it carries metadata.resourceVersion). */
  update(obj: object): Promise<KubeObject>;
  delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void>;
  /** YAML (multi-document) or JSON: create, or replace what exists; `status` is written too. */
  applyFile(path: string): Promise<void>;
  /** Current global resourceVersion. */
  readonly resourceVersion: string;
  /** Loopback HTTP JSON control endpoint; routes documented in control-server.ts. */
  readonly controlUrl: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

const ADMIN: Required<{ name: string; groups: string[] }> = { name: 'admin', groups: ['system:masters'] };

export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const host = options.host ?? '127.0.0.1';
  const ca = await createCertificateAuthority('runtime-agent-kube-sim-ca');
  const serverCert = await issueServerCertificate(ca, 'kube-apiserver');
  const store = new KubeStore(options.historyLimit ?? 10_000);
  const plan = new FaultPlan();
  const tokens = new Map<string, User>();
  const bearerToken = randomBytes(24).toString('hex');
  tokens.set(bearerToken, { name: ADMIN.name, groups: ADMIN.groups });
  const requestLog: RequestLogEntry[] = [];
  let port = options.port ?? 0;
  const hostPort = () => `${host.includes(':') ? `[${host}]` : host}:${port}`;

  const access = new AccessControl(store, tokens);
  const handler = new ApiHandler({
    store,
    faults: plan,
    access,
    requestLog,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5_000,
    address: hostPort,
  });
  const server: Server = createHttpsServer(
    {
      key: serverCert.keyPem,
      cert: serverCert.certPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: false,
      keepAlive: true,
    },
    handler.handle,
  );
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  let listening = false;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        listening = true;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      handler.dropWatches('clean');
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  await listen();

  for (const ns of options.namespaces ?? ['default', 'kube-system']) {
    store.create(store.findType('', 'v1', 'namespaces')!, undefined, { metadata: { name: ns } });
  }
  // cluster-admin for system:masters, discovery and self reviews for everyone authenticated.
  access.seedBootstrapPolicy();

  const typeOf = (apiVersion: string, kind: string) => {
    const type = store.findTypeByKind(apiVersion, kind);
    if (!type) throw new KubeStatusError(404, 'NotFound', `no resource of kind ${kind} is served in ${apiVersion}; apply its CRD first`);
    return type;
  };
  const users = (user?: { name: string; groups?: string[] }) => ({
    name: user?.name ?? ADMIN.name,
    groups: user ? (user.groups ?? []) : ADMIN.groups,
  });
  const clientCertificate = async (user?: { name: string; groups?: string[] }) => {
    const u = users(user);
    const subject = [`CN=${u.name}`, ...u.groups.map((g) => `O=${g}`)].join(', ');
    const issued = await issueClientCertificate(ca, subject);
    return { certPem: issued.certPem, keyPem: issued.keyPem };
  };
  /** A kubeconfig for this server: one cluster, one user with `credentials` (YAML lines under `user:`), one context. */
  const kubeconfigYaml = (user: string, credentials: string[], namespace: string) =>
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: kube-sim',
      '  cluster:',
      `    server: https://${hostPort()}`,
      `    certificate-authority-data: ${Buffer.from(ca.certPem).toString('base64')}`,
      'users:',
      `- name: ${user}`,
      '  user:',
      ...credentials.map((line) => `    ${line}`),
      'contexts:',
      '- name: kube-sim',
      '  context:',
      '    cluster: kube-sim',
      `    user: ${user}`,
      `    namespace: ${namespace}`,
      'current-context: kube-sim',
      '',
    ].join('\n');
  const kubeconfig = async (user?: { name: string; groups?: string[] }) => {
    const u = users(user);
    const cert = await clientCertificate(u);
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    return kubeconfigYaml(u.name, [`client-certificate-data: ${b64(cert.certPem)}`, `client-key-data: ${b64(cert.keyPem)}`], 'default');
  };
  const serviceAccountToken = (namespace: string, name: string, options: { expirationSeconds?: number } = {}) =>
    access.mintServiceAccountToken(namespace, name, options.expirationSeconds ?? 3600).token;
  const serviceAccountKubeconfig = (namespace: string, name: string, options: { expirationSeconds?: number } = {}) =>
    kubeconfigYaml(
      JSON.stringify(`system:serviceaccount:${namespace}:${name}`),
      [`token: ${serviceAccountToken(namespace, name, options)}`],
      namespace,
    );

  const writeObject = (obj: KubeObject) => {
    const type = typeOf(obj.apiVersion, obj.kind);
    const ns = type.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined;
    const current = store.tryGet(type, ns, obj.metadata?.name);
    let written: KubeObject;
    if (current) {
      written = store.update(type, ns, current.metadata.name, {
        ...obj,
        metadata: { ...obj.metadata, resourceVersion: current.metadata.resourceVersion },
      });
    } else {
      written = store.create(type, ns, obj);
    }
    if (type.statusSubresource && obj.status !== undefined) {
      written = store.update(type, ns, written.metadata.name, { ...written, status: obj.status }, { subresource: 'status' });
    }
    return written;
  };
  const applyFile = async (path: string) => {
    const text = await readFile(path, 'utf8');
    const docs: unknown[] = path.endsWith('.json')
      ? [JSON.parse(text)]
      : parseAllDocuments(text).map((d) => {
          if (d.errors.length > 0) throw new Error(`${path} is not valid YAML: ${d.errors[0].message}`);
          return d.toJSON();
        });
    for (const doc of docs) {
      if (!doc || typeof doc !== 'object') continue;
      const obj = doc as KubeObject;
      const items: KubeObject[] =
        (obj.kind === 'List' || String(obj.kind).endsWith('List')) && Array.isArray(obj.items) ? obj.items : [obj];
      for (const item of items) writeObject(item);
    }
  };
  if (options.crdDir) {
    for (const file of (await readdir(options.crdDir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort()) {
      await applyFile(join(options.crdDir, file));
    }
  }

  const faults: KubeFaults = {
    failNext: (rule) => plan.failNext(rule),
    addLatency: (rule) => plan.addLatency(rule),
    dropWatches: (mode = 'clean') => handler.dropWatches(mode),
    compactHistory: () => store.compact(),
    clear: () => plan.clear(),
    get pendingFailures() {
      return plan.pendingFailures;
    },
  };

  let control: HttpServer | undefined;
  const sim: KubeSim = {
    get url() {
      return `https://${hostPort()}`;
    },
    caPem: ca.certPem,
    kubeconfig,
    async writeKubeconfig(path, user) {
      await writeFile(path, await kubeconfig(user), { mode: 0o600 });
      return path;
    },
    bearerToken,
    issueToken(user) {
      const token = randomBytes(24).toString('hex');
      tokens.set(token, { name: user.name, groups: user.groups ?? [] });
      return token;
    },
    clientCertificate,
    serviceAccountToken,
    serviceAccountKubeconfig,
    async writeServiceAccountKubeconfig(path, namespace, name, options) {
      await writeFile(path, serviceAccountKubeconfig(namespace, name, options), { mode: 0o600 });
      return path;
    },
    requestLog,
    clearRequestLog: () => {
      requestLog.length = 0;
    },
    faults,
    async create(obj) {
      const o = obj as KubeObject;
      const type = typeOf(o.apiVersion, o.kind);
      return structuredClone(store.create(type, type.namespaced ? (o.metadata?.namespace ?? 'default') : undefined, o));
    },
    get(apiVersion, kind, name, namespace) {
      const type = typeOf(apiVersion, kind);
      const obj = store.tryGet(type, type.namespaced ? (namespace ?? 'default') : undefined, name);
      return obj && structuredClone(obj);
    },
    list(apiVersion, kind, namespace) {
      const type = typeOf(apiVersion, kind);
      return structuredClone(store.list(type, { namespace, labels: [], fields: [] }).items);
    },
    async update(obj) {
      const o = obj as KubeObject;
      const type = typeOf(o.apiVersion, o.kind);
      const ns = type.namespaced ? (o.metadata?.namespace ?? 'default') : undefined;
      return structuredClone(store.update(type, ns, o.metadata?.name, o, { fromPatch: true }));
    },
    async delete(apiVersion, kind, name, namespace) {
      const type = typeOf(apiVersion, kind);
      store.delete(type, type.namespaced ? (namespace ?? 'default') : undefined, name);
    },
    applyFile,
    get resourceVersion() {
      return store.resourceVersion;
    },
    get controlUrl() {
      return control ? `http://127.0.0.1:${(control.address() as AddressInfo).port}` : '';
    },
    stop,
    restart: async () => {
      if (!listening) await listen();
    },
    async close() {
      await stop();
      access.close();
      store.closeWatches();
      await new Promise<void>((resolve) => (control ? control.close(() => resolve()) : resolve()));
    },
  };
  control = await startControlServer(sim);
  return sim;
}
