// Starts an agent with its health, metrics and debug endpoints; shared by `run` and `demo`.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../adapters/logger.js';
import { isLoopbackHost, startHealthServer, type HealthServer } from '../../adapters/http/health-server.js';
import { createAgent, type Agent } from '../agent/agent.js';
import type { AgentConfig } from '../config.js';
import { renderDiagram } from './visualize.js';
import { describeMachine, visitedBy } from '../agent/machine-diagram.js';
import { createEventLog, EventLogFileError, type EventLog } from '../event-log.js';

/**
 * The agent cannot start in this environment (a busy port, an unwritable file): the message names
 * the variable to change. `run` prints it and exits with code 2, like a malformed variable.
 */
export class StartupError extends Error {
  override name = 'StartupError';
  constructor(
    readonly variable: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The event log of APP_EVENT_LOG_FILE (in memory only without it); a file that cannot be opened is a StartupError. */
export function openEventLog(config: AgentConfig, logger: Logger): EventLog {
  const file = config.eventLogFile;
  try {
    return createEventLog({
      file,
      maxBytes: config.eventLogMaxBytes,
      onFileError: (error) =>
        logger.error({ file, code: error.code }, `APP_EVENT_LOG_FILE: ${error.message}; the event log goes on in memory only (/debug), the file is no longer written`),
    });
  } catch (error) {
    if (!(error instanceof EventLogFileError)) throw error;
    throw new StartupError(
      'APP_EVENT_LOG_FILE',
      `APP_EVENT_LOG_FILE=${file}: ${error.message}. Point it at a writable file (in the Deployment the root filesystem is read-only: put the file on a mounted volume such as an emptyDir), or unset it.`,
      { cause: error },
    );
  }
}

function healthPortError(error: unknown, port: number): StartupError {
  const code = (error as NodeJS.ErrnoException | null)?.code ?? 'unknown';
  const why =
    code === 'EADDRINUSE'
      ? `port ${port} is already in use (EADDRINUSE): another process listens on it; stop it or choose another port`
      : code === 'EACCES'
        ? `port ${port} may not be bound by this user (EACCES); choose a port above 1023`
        : `port ${port} cannot be listened on (${code}: ${(error as Error)?.message ?? String(error)})`;
  return new StartupError('APP_HEALTH_PORT', `APP_HEALTH_PORT=${port}: ${why} with APP_HEALTH_PORT.`, { cause: error });
}

export interface ServedAgent {
  agent: Agent;
  health: HealthServer;
  stop(): Promise<void>;
}

export async function serveAgent(options: {
  config: AgentConfig;
  kubeConfig: KubeConfig;
  logger: Logger;
  compassCaPem?: string;
  healthHost?: string;
}): Promise<ServedAgent> {
  const eventLog = openEventLog(options.config, options.logger);
  const agent = createAgent({ ...options, eventLog });
  let health: HealthServer;
  try {
    health = await startHealthServer({
      port: options.config.healthPort,
      host: options.healthHost,
      liveness: () => agent.liveness(),
      readiness: () => agent.readiness(),
      registry: agent.metrics.registry,
      // /debug is not on the health port (which the Service exposes) but on APP_DEBUG_ADDRESS, loopback by default.
      debugAddress: options.config.debugAddress,
      onDebugUnavailable: (err) => options.logger.warn({ err, address: options.config.debugAddress }, '/debug is not served: its address cannot be bound (APP_DEBUG_ADDRESS)'),
      debug: () => agent.debug(),
      debugHtml: async () => {
        const steps = agent.eventLog.entries().map((e) => ({ eventType: e.event.type, state: e.state }));
        const page = await renderDiagram('html', visitedBy(describeMachine(), steps));
        return withLiveStatus(page, agent);
      },
    });
  } catch (error) {
    await agent.stop();
    throw healthPortError(error, options.config.healthPort);
  }
  if (health.debugUrl) {
    const exposed = !isLoopbackHost(options.config.debugAddress!.host);
    options.logger[exposed ? 'warn' : 'info'](
      { url: health.debugUrl },
      exposed ? '/debug listens beyond loopback (APP_DEBUG_ADDRESS): the live state is reachable from the network' : '/debug listens on loopback only (kubectl port-forward)',
    );
  }
  agent.start();
  return {
    agent,
    health,
    async stop() {
      await agent.stop();
      await health.close();
    },
  };
}

/** The diagram page, refreshed every few seconds, with the current state and the last events on top. */
export function withLiveStatus(page: string, agent: Pick<Agent, 'runtime' | 'eventLog'>): string {
  const snapshot = agent.runtime.getSnapshot();
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const recent = agent.eventLog
    .entries()
    .slice(-8)
    .reverse()
    .map((e) => `<li><code>${escape(e.at)}</code> ${escape(e.event.type)} → <code>${escape(JSON.stringify(e.state))}</code></li>`)
    .join('');
  const status = `<p>current state <b><code>${escape(JSON.stringify(snapshot.value))}</code></b>, CompassConnection <b>${escape(String(snapshot.context.connectionState ?? '-'))}</b></p><p>latest events, newest first:</p><ol>${recent}</ol>`;
  return page.replace('<head>', '<head><meta http-equiv="refresh" content="5">').replace(/(<h1>[\s\S]*?<\/h1>)/, `$1${status}`);
}

/** Resolves on the first SIGTERM or SIGINT. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
      resolve(signal);
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}
