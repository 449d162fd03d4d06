// Starts an agent with its health, metrics and debug endpoints; shared by `run` and `demo`.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../adapters/logger.js';
import { isLoopbackHost, startHealthServer, type HealthServer } from '../../adapters/http/health-server.js';
import { createAgent, type Agent } from '../agent/agent.js';
import { createDebugPage } from '../agent/debug-page.js';
import type { AgentConfig } from '../config.js';
import { createEventLog, EventLogFileError, type EventLog } from '../event-log.js';
import { errorMessage, errorCode } from '../../adapters/unknown-values.js';

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
        logger.error(
          { file, code: error.code },
          `APP_EVENT_LOG_FILE: ${error.message}; the event log goes on in memory only (/debug), the file is no longer written`,
        ),
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
  const code = errorCode(error) ?? 'unknown';
  const why =
    code === 'EADDRINUSE'
      ? `port ${port} is already in use (EADDRINUSE): another process listens on it; stop it or choose another port`
      : code === 'EACCES'
        ? `port ${port} may not be bound by this user (EACCES); choose a port above 1023`
        : `port ${port} cannot be listened on (${code}: ${errorMessage(error)})`;
  return new StartupError('APP_HEALTH_PORT', `APP_HEALTH_PORT=${port}: ${why} with APP_HEALTH_PORT.`, { cause: error });
}

export interface ServedAgent {
  agent: Agent;
  health: HealthServer;
  stop(): Promise<void>;
}

export type StatelyInspectorModule = typeof import('../agent/stately-inspector.js');
/** The inspector's module (and @statelyai/inspect, ws) is imported only when APP_STATELY_INSPECT is set. */
export const loadStatelyInspector = (): Promise<StatelyInspectorModule> => import('../agent/stately-inspector.js');

/**
 * APP_STATELY_INSPECT: sends the machine's inspection events (redacted) to a Stately inspector relay.
 * Unset: returns null without loading anything.
 */
export async function attachStatelyInspector(
  agent: Pick<Agent, 'inspect'>,
  url: string | undefined,
  logger: Logger,
  load: () => Promise<StatelyInspectorModule> = loadStatelyInspector,
): Promise<{ stop(): void } | null> {
  if (!url) return null;
  const { connectStatelyInspector } = await load();
  const inspection = connectStatelyInspector({ url, logger });
  const subscription = agent.inspect(inspection.inspect);
  logger.warn(
    { url },
    "APP_STATELY_INSPECT: the state machine's events (redacted) are sent to the Stately inspector at this URL; for development only",
  );
  return {
    stop() {
      subscription.unsubscribe();
      inspection.stop();
    },
  };
}

export async function serveAgent(options: {
  config: AgentConfig;
  kubeConfig: KubeConfig;
  logger: Logger;
  compassCaPem?: string;
  healthHost?: string;
  /** Tests: how the Stately inspector's module is loaded. */
  loadStatelyInspector?: () => Promise<StatelyInspectorModule>;
}): Promise<ServedAgent> {
  const eventLog = openEventLog(options.config, options.logger);
  const agent = createAgent({ ...options, eventLog });
  const page = createDebugPage(agent);
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
      onDebugUnavailable: (err) =>
        options.logger.warn(
          { err, address: options.config.debugAddress },
          '/debug is not served: its address cannot be bound (APP_DEBUG_ADDRESS)',
        ),
      debug: () => agent.debug(),
      debugHtml: () => page.html(),
      debugEvents: { subscribe: (onChange) => agent.onChange(onChange), update: () => page.update() },
    });
  } catch (error) {
    await agent.stop();
    throw healthPortError(error, options.config.healthPort);
  }
  if (health.debugUrl) {
    const exposed = !isLoopbackHost(options.config.debugAddress!.host);
    options.logger[exposed ? 'warn' : 'info'](
      { url: health.debugUrl },
      exposed
        ? '/debug listens beyond loopback (APP_DEBUG_ADDRESS): the live state is reachable from the network'
        : '/debug listens on loopback only (kubectl port-forward)',
    );
  }
  let inspector: { stop(): void } | null = null;
  try {
    // Before the start, so the inspector sees the machine from its first event.
    inspector = await attachStatelyInspector(agent, options.config.statelyInspectUrl, options.logger, options.loadStatelyInspector);
  } catch (error) {
    await agent.stop();
    await health.close();
    throw error;
  }
  agent.start();
  return {
    agent,
    health,
    async stop() {
      await agent.stop();
      inspector?.stop();
      await health.close();
    },
  };
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
