// Starts an agent with its health, metrics and debug endpoints; shared by `run` and `demo`.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../adapters/logger.js';
import { startHealthServer, type HealthServer } from '../../adapters/http/health-server.js';
import { createAgent, type Agent } from '../agent/agent.js';
import type { AgentConfig } from '../config.js';
import { renderDiagram } from './visualize.js';
import { describeMachine, visitedBy } from '../agent/machine-diagram.js';

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
  const agent = createAgent(options);
  const health = await startHealthServer({
    port: options.config.healthPort,
    host: options.healthHost,
    liveness: () => agent.liveness(),
    readiness: () => agent.readiness(),
    registry: agent.metrics.registry,
    debug: () => agent.debug(),
    debugHtml: () => {
      const steps = agent.eventLog.entries().map((e) => ({ eventType: e.event.type, state: e.state }));
      return renderDiagram('html', visitedBy(describeMachine(), steps));
    },
  });
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
