// The Compass simulator: a token-secured Connector (HTTPS), a certificate-secured host with mutual
// TLS serving the Connector and the Director (refusing a missing, foreign or expired client certificate
// with the TLS alert the real gateway sends, see gateway-certificate-check.ts), and a loopback JSON
// control API. Real TLS, real GraphQL (graphql-js parses and validates, graphql-jit executes), fake
// clock. See control-routes.ts for the control routes.
import { X509Certificate } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueServerCertificate } from '../tls/certificate-authority.js';
import { listenTls } from '../tls/tls-listener.js';
import { gatewayCertificateCheck } from './gateway-certificate-check.js';
import { CompassStore } from './compass-store.js';
import { createControl, type CompassControl } from './control.js';
import { handleControl } from './control-routes.js';
import { handleGraphql, type SurfaceDeps } from './graphql-http.js';

export type { CompassControl } from './control.js';
export type { FaultSpec, FaultKind, ArmedFault } from './faults.js';
export type { CallLogEntry, CallIdentity } from './compass-store.js';
export type * from './model.js';
export { encodeCursor } from './paging.js';

export interface CompassSimOptions {
  host?: string;
  /** Default a fixed UUID; this runtime exists in the default tenant with scenarios ["DEFAULT"]. */
  runtimeId?: string;
  /** Default external tenant id. */
  tenant?: string;
  /** Validity of issued client certificates; default 90 days. */
  certificateValidityMs?: number;
  /** Seed N generated applications (deterministic from `seed`). */
  apps?: number;
  seed?: number;
  /** Server-side cap for page sizes (forces paging); default: honour `first`. */
  pageSize?: number;
  /** Milliseconds every Director request waits before it is answered; default 0 (control.setDirectorLatency changes it). */
  directorLatencyMs?: number;
}

export interface CompassSim {
  readonly connectorUrl: string;
  readonly certSecuredConnectorUrl: string;
  readonly directorUrl: string;
  readonly controlUrl: string;
  /** CA of both servers' TLS certificates: what a client must trust. */
  readonly serverCaPem: string;
  /** CA that signs client certificates (returned as caCertificate; the mTLS host trusts it). */
  readonly connectorCaPem: string;
  readonly runtimeId: string;
  readonly tenant: string;
  mintToken(runtimeId?: string): string;
  readonly control: CompassControl;
  close(): Promise<void>;
}

export const defaultRuntimeId = '0d1c4a7e-5b2f-4c3e-9a8d-6f7e1b2c3d4e';
export const defaultTenant = '3e64ebae-38b5-46a0-b1ed-9ccee153a0ae';
const ninetyDaysMs = 90 * 24 * 60 * 60_000;
/** Envoy's default HTTP idle_timeout (the Istio gateway in front of Compass). */
export const GATEWAY_IDLE_TIMEOUT_MS = 60 * 60_000;

function listen(server: HttpServer, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startCompassSim(options: CompassSimOptions = {}): Promise<CompassSim> {
  const host = options.host ?? '127.0.0.1';
  const runtimeId = options.runtimeId ?? defaultRuntimeId;
  const tenant = options.tenant ?? defaultTenant;
  const store = new CompassStore({
    tenant,
    runtimeId,
    certificateValidityMs: options.certificateValidityMs ?? ninetyDaysMs,
    pageSize: options.pageSize,
    directorLatencyMs: options.directorLatencyMs,
  });
  if (options.apps) store.generateApplications(options.apps, options.seed ?? 1);

  const serverCa = await createCertificateAuthority('compass-sim-server-ca');
  const connectorCa = await createCertificateAuthority('compass-sim-connector-ca');
  const serverCert = await issueServerCertificate(serverCa, 'compass-sim');
  const deps: SurfaceDeps = { store, connectorCa };

  const tokenServer = createHttpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/connector/graphql') void handleGraphql('connector', req, res, deps);
    else notFound(res, path);
  });

  // The mutual-TLS host answers certificates as the gateway does: see gateway-certificate-check.ts.
  const mtlsServer = createHttpServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/connector/graphql') void handleGraphql('connector-mtls', req, res, deps);
    else if (path === '/director/graphql') void handleGraphql('director', req, res, deps);
    else notFound(res, path);
  });
  // An idle kept-alive connection stays open as long as the gateway in front of Compass keeps it: Envoy's
  // HTTP idle_timeout, 1 hour unless configured (Node's own default would close it after 5 s).
  for (const server of [tokenServer, mtlsServer]) server.keepAliveTimeout = GATEWAY_IDLE_TIMEOUT_MS;
  const tls = { host, keyPem: serverCert.keyPem, certPem: serverCert.certPem };
  const [tokenListener, mtlsListener] = await Promise.all([
    listenTls(tokenServer, tls),
    listenTls(mtlsServer, {
      ...tls,
      clientCertificates: {
        caPem: connectorCa.certPem,
        judge: gatewayCertificateCheck(new X509Certificate(connectorCa.certPem), () => store.now()),
      },
    }),
  ]);
  const listeners = [tokenListener, mtlsListener];
  deps.resetConnection = (socket) => listeners.some((listener) => listener.reset(socket));

  const control = createControl(store);
  const controlServer = createHttpServer((req, res) => void handleControl(req, res, control));

  const controlPort = await listen(controlServer, host);
  const [tokenPort, mtlsPort] = [tokenListener.port, mtlsListener.port];
  const urlHost = host.includes(':') ? `[${host}]` : host;
  store.connectorUrl = `https://${urlHost}:${tokenPort}/connector/graphql`;
  store.certSecuredConnectorUrl = `https://${urlHost}:${mtlsPort}/connector/graphql`;
  store.directorUrl = `https://${urlHost}:${mtlsPort}/director/graphql`;

  return {
    connectorUrl: store.connectorUrl,
    certSecuredConnectorUrl: store.certSecuredConnectorUrl,
    directorUrl: store.directorUrl,
    controlUrl: `http://${urlHost}:${controlPort}`,
    serverCaPem: serverCa.certPem,
    connectorCaPem: connectorCa.certPem,
    runtimeId,
    tenant,
    mintToken: (id?: string) => store.mintRuntimeToken(id).token,
    control,
    close: async () => {
      await Promise.all([tokenListener.close(), mtlsListener.close(), close(controlServer)]);
    },
  };
}

function notFound(res: import('node:http').ServerResponse, path: string): void {
  const body = JSON.stringify({ error: { code: 404, status: 'Not Found', message: `no route for ${path}` } });
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
