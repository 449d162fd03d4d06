// Keep-alive connections to the API server. client-node 1.4 builds a new https.Agent for every
// request, which means a TLS handshake per call and, during a sync of thousands of objects, thousands
// of sockets with their buffers at once. KubeRest takes the TLS options client-node works out for a
// request and sends it through the one keep-alive agent of that TLS identity instead.
import { createHash } from 'node:crypto';
import https from 'node:https';

const MAX_IDENTITIES = 4;

function retire(agent: https.Agent): void {
  // No new requests reach it; sockets close as they become free.
  agent.options.keepAlive = false;
  for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
}

export interface KeepAliveAgentsOptions {
  /** Upper bound of open sockets per TLS identity. */
  maxSockets?: number;
}

export class KeepAliveAgents {
  private readonly agents = new Map<string, https.Agent>();
  private readonly maxSockets: number;

  constructor(options: KeepAliveAgentsOptions = {}) {
    this.maxSockets = options.maxSockets ?? 64;
  }

  /**
   * The agent for requests to `server` with these TLS options (CA, client certificate and key,
   * server name, verification). A new identity (e.g. a rotated client certificate) gets an agent of
   * its own; beyond a few, the oldest is closed (its idle sockets at once, busy ones when their
   * request ends).
   */
  agentFor(
    server: string,
    options: Pick<https.AgentOptions, 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase' | 'servername' | 'rejectUnauthorized'>,
  ): https.Agent {
    const key = identityKey(server, options);
    let agent = this.agents.get(key);
    if (!agent) {
      const { ca, cert, key: privateKey, pfx, passphrase, servername, rejectUnauthorized } = options;
      agent = new https.Agent({
        ca,
        cert,
        key: privateKey,
        pfx,
        passphrase,
        servername,
        rejectUnauthorized,
        keepAlive: true,
        maxSockets: this.maxSockets,
        scheduling: 'lifo',
      });
      this.agents.set(key, agent);
      if (this.agents.size > MAX_IDENTITIES) {
        const [[oldestKey, oldest]] = this.agents; // the first in insertion order
        this.agents.delete(oldestKey);
        retire(oldest);
      }
    }
    return agent;
  }
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
