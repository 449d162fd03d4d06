// @kubernetes/client-node 1.4 builds a new https.Agent for every request: a TLS handshake per call
// and, during a sync of thousands of objects, thousands of sockets with their buffers at once. This
// gives all requests with the same TLS identity one keep-alive agent. It replaces the (private)
// `createAgent` of the given KubeConfig instance only; proxies and plain http keep the library's own
// behaviour. Revisit with client-node 2.x, which caches an undici agent itself.
import { createHash } from 'node:crypto';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

type AgentFactory = (cluster: { server?: string; proxyUrl?: string } | null, options: https.AgentOptions) => unknown;
const PATCHED = Symbol.for('runtime-agent.keep-alive');
const MAX_IDENTITIES = 4;

function retire(agent: https.Agent): void {
  // No new requests reach it; sockets close as they become free.
  agent.options.keepAlive = false;
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

export interface ConnectionReuseOptions {
  /** Upper bound of open sockets per TLS identity (watches hold one each while open). */
  maxSockets?: number;
}

export function reuseConnections(kubeConfig: KubeConfig, options: ConnectionReuseOptions = {}): KubeConfig {
  const target = kubeConfig as unknown as { createAgent: AgentFactory; [PATCHED]?: boolean };
  if (target[PATCHED]) return kubeConfig;
  const original = target.createAgent.bind(kubeConfig);
  const agents = new Map<string, https.Agent>();
  target.createAgent = (cluster, agentOptions) => {
    if (!cluster?.server?.startsWith('https:') || cluster.proxyUrl) return original(cluster, agentOptions);
    const key = identityKey(cluster.server, agentOptions);
    let agent = agents.get(key);
    if (!agent) {
      // A new identity (e.g. a rotated client certificate) gets its own agent; beyond a few, the
      // oldest is closed (its idle sockets at once, busy ones when their request ends).
      agent = new https.Agent({ ...agentOptions, keepAlive: true, maxSockets: options.maxSockets ?? 64, scheduling: 'lifo' });
      agents.set(key, agent);
      if (agents.size > MAX_IDENTITIES) {
        const [oldestKey, oldest] = agents.entries().next().value as [string, https.Agent];
        agents.delete(oldestKey);
        retire(oldest);
      }
    }
    return agent;
  };
  target[PATCHED] = true;
  return kubeConfig;
}

function identityKey(server: string, options: https.AgentOptions): string {
  const hash = createHash('sha256').update(server);
  for (const field of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'servername', 'rejectUnauthorized'] as const) {
    const value = options[field];
    hash.update(`\0${field}=`);
    if (value !== undefined) hash.update(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));
  }
  return hash.digest('hex');
}
