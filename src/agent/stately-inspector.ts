// The live machine in Stately's inspector (@statelyai/inspect), for development: with
// APP_STATELY_INSPECT=ws://HOST:PORT the agent sends its machine's inspection events (the actor and
// its definition, every event, every snapshot), redacted, to that WebSocket, where the inspector's
// relay (`createInspectorServer` from @statelyai/inspect/server) hands them to the inspector in a
// browser. Loaded only when the setting is on (serve-agent.ts imports this module dynamically).
//
// The package's own WebSocket adapter is not used: after stop() it may still reconnect (its retry
// timer survives), and it keeps the process alive while it retries. This one retries on an unref'd
// timer, stops for good, and says once per outage that the relay cannot be reached.
import { createInspector } from '@statelyai/inspect';
import WebSocket from 'ws';
import type { InspectionEvent, Observer } from 'xstate';
import type { Logger } from '../../adapters/logger.js';
import { redact } from '../../adapters/redaction.js';

export interface StatelyInspection {
  /** Pass to `agent.inspect()`. */
  readonly inspect: Observer<InspectionEvent>;
  stop(): void;
}

export interface StatelyInspectorOptions {
  url: string;
  logger: Logger;
  /** Wait before connecting again after the relay went away or could not be reached (default 5 s). */
  retryMs?: number;
  /** Events kept while not connected; the oldest are dropped beyond (default 200, as the package). */
  maxBuffered?: number;
}

/** The package's adapter interface (not exported by name). */
type Adapter = Parameters<typeof createInspector>[0];
type StatelyEvent = Parameters<Adapter['send']>[0];

/**
 * The inspection event as JSON text, redacted like everything else that leaves the process.
 * JSON first: snapshots and actor references serialize through their toJSON, which `redact` (a
 * walk over own properties) would not call.
 */
export function serializeInspectionEvent(event: StatelyEvent): string | undefined {
  let json: string;
  try {
    json = JSON.stringify(event);
  } catch {
    return undefined; // a cycle no toJSON cut: not worth failing the agent over
  }
  return JSON.stringify(redact(JSON.parse(json) as unknown));
}

class WebSocketRelay implements Adapter {
  private socket: WebSocket | undefined;
  private open = false;
  private stopped = true;
  private reachable: boolean | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly buffered: string[] = [];

  constructor(private readonly options: Required<StatelyInspectorOptions>) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  private connect(): void {
    const { url, logger, retryMs } = this.options;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.on('open', () => {
      this.open = true;
      if (this.reachable !== true) logger.info({ url }, 'Stately inspector: connected (APP_STATELY_INSPECT)');
      this.reachable = true;
      for (const text of this.buffered.splice(0)) socket.send(text);
    });
    // The relay also forwards what other clients sent: nothing for the agent.
    socket.on('message', () => {});
    socket.on('error', (err) => {
      if (this.stopped) return;
      if (this.reachable !== false)
        logger.warn({ err, url }, `Stately inspector: ${url} cannot be reached; trying again every ${Math.round(retryMs / 1000)} s`);
      this.reachable = false;
    });
    socket.on('close', () => {
      this.open = false;
      if (this.socket !== socket || this.stopped) return;
      this.retry = setTimeout(() => this.connect(), retryMs);
      this.retry.unref();
    });
  }

  send(event: StatelyEvent): void {
    const text = serializeInspectionEvent(event);
    if (text === undefined || this.stopped) return;
    if (this.open && this.socket) {
      this.socket.send(text);
      return;
    }
    this.buffered.push(text);
    if (this.buffered.length > this.options.maxBuffered) this.buffered.shift();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.buffered.length = 0;
    const socket = this.socket;
    this.socket = undefined;
    this.open = false;
    if (socket && socket.readyState !== WebSocket.CLOSED) socket.terminate();
  }
}

export function connectStatelyInspector(options: StatelyInspectorOptions): StatelyInspection {
  const relay = new WebSocketRelay({ retryMs: 5_000, maxBuffered: 200, ...options });
  const inspector = createInspector(relay, { autoStart: false });
  inspector.start();
  return {
    inspect: inspector.inspect,
    stop: () => inspector.stop(),
  };
}
