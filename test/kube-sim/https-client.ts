// A small HTTPS client for the simulator tests: keep-alive, client certificate, JSON, and watch streams.
import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { KubeSim } from '../../sim/kube/index.js';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

export interface WatchStream {
  events: { type: string; object: any }[];
  /** Resolves with the first event (from the start of the stream) matching the predicate. */
  waitFor(predicate: (event: { type: string; object: any }) => boolean): Promise<{ type: string; object: any }>;
  /** Resolves when the server ends the stream (clean end, or 'reset' when the connection breaks). */
  ended: Promise<'end' | 'reset'>;
  close(): void;
}

export interface SimClient {
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  watch(path: string, headers?: Record<string, string>): Promise<WatchStream>;
  agent: Agent;
}

export async function simClient(sim: KubeSim, auth: 'cert' | 'none' | { token: string } = 'cert'): Promise<SimClient> {
  const cert = auth === 'cert' ? await sim.clientCertificate() : undefined;
  const agent = new Agent({ ca: sim.caPem, cert: cert?.certPem, key: cert?.keyPem, keepAlive: true });
  const base = () => new URL(sim.url);
  const authHeader = (): Record<string, string> => (typeof auth === 'object' ? { authorization: `Bearer ${auth.token}` } : {});

  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<Reply>((resolve, reject) => {
      const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = request(
        {
          host: base().hostname,
          port: base().port,
          path,
          method,
          agent,
          // Content-Length always: Node sends a DELETE body without it and without chunking.
          headers: {
            accept: 'application/json',
            ...(text !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}),
            ...authHeader(),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = raw;
            try {
              parsed = JSON.parse(raw);
            } catch {
              /* text body */
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
        },
      );
      req.on('error', (error) => reject(Object.assign(error, { message: `${method} ${path}: ${error.message}` })));
      req.end(text);
    });

  const watch = (path: string, headers: Record<string, string> = {}) =>
    new Promise<WatchStream>((resolve, reject) => {
      const events: { type: string; object: any }[] = [];
      const waiters: { predicate: (e: { type: string; object: any }) => boolean; resolve: (e: { type: string; object: any }) => void }[] =
        [];
      let endedResolve!: (how: 'end' | 'reset') => void;
      const ended = new Promise<'end' | 'reset'>((r) => (endedResolve = r));
      // A dedicated agent: a dropped watch must not take the shared keep-alive connection with it.
      const req = request(
        {
          host: base().hostname,
          port: base().port,
          path,
          method: 'GET',
          agent: new Agent({ ca: sim.caPem, cert: cert?.certPem, key: cert?.keyPem }),
          headers: { accept: 'application/json', ...authHeader(), ...headers },
        },
        (res) => {
          let buffer = '';
          res.on('data', (chunk: Buffer) => {
            buffer += chunk.toString('utf8');
            let newline: number;
            while ((newline = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, newline);
              buffer = buffer.slice(newline + 1);
              if (!line.trim()) continue;
              const event = JSON.parse(line);
              events.push(event);
              for (const w of [...waiters]) {
                if (w.predicate(event)) {
                  waiters.splice(waiters.indexOf(w), 1);
                  w.resolve(event);
                }
              }
            }
          });
          res.on('end', () => endedResolve('end'));
          res.on('error', () => endedResolve('reset'));
          res.on('aborted', () => endedResolve('reset'));
          resolve({
            events,
            ended,
            close: () => req.destroy(),
            waitFor: (predicate) => {
              const found = events.find(predicate);
              if (found) return Promise.resolve(found);
              return new Promise((r) => waiters.push({ predicate, resolve: r }));
            },
          });
        },
      );
      req.on('error', (error) => {
        endedResolve('reset');
        reject(error);
      });
      req.end();
    });

  return { call, watch, agent };
}
