// An agent for the /debug tests that needs no simulators: its Kubernetes API server is an address
// nothing listens on, so it fails to read its state and retries, quickly, which gives events.
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, type Logger } from '../../adapters/logger.js';

/** A port nothing listens on (taken, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A kubeconfig whose server refuses connections. */
export async function unreachableCluster(): Promise<KubeConfig> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'gone', server: `https://127.0.0.1:${await freePort()}`, skipTLSVerify: true }],
    users: [{ name: 'agent', token: 'not-a-real-token' }],
    contexts: [{ name: 'gone', cluster: 'gone', user: 'agent' }],
    currentContext: 'gone',
  });
  return kubeConfig;
}

/** Settings for fast retries, the health port and /debug on free ports. */
export const QUICK_RETRIES = {
  APP_HEALTH_PORT: '0',
  APP_DEBUG_ADDRESS: '127.0.0.1:0',
  APP_RETRY_INITIAL_DELAY: '200ms',
  APP_RETRY_MAX_DELAY: '500ms',
  APP_MINIMAL_COMPASS_SYNC_TIME: '100ms',
  APP_CONTROLLER_SYNC_PERIOD: '1s',
};

/** A logger that keeps its lines (JSON text) in `lines`. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(line);
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}
