// `runtime-agent run`: the agent in a cluster. Configuration from APP_* variables, Kubernetes from
// KUBECONFIG or the in-cluster service account. Exit 2 on bad configuration, 0 after SIGTERM.
import { createLogger } from '../../adapters/logger.js';
import { loadKubeConfig } from '../../adapters/kube/kube-client.js';
import { describeConfig } from '../config.js';
import { configFromEnvironment } from './command-args.js';
import { serveAgent, untilSignal } from './serve-agent.js';

export async function run(args: string[]): Promise<number> {
  const config = configFromEnvironment('run', args);
  if (config === 2) return 2;
  const logger = createLogger({ level: config.logLevel });
  let kubeConfig;
  try {
    ({ kubeConfig } = loadKubeConfig());
  } catch (err) {
    logger.error({ err }, 'cannot load the Kubernetes configuration (KUBECONFIG or the in-cluster service account)');
    return 2;
  }
  logger.info({ config: describeConfig(config), kubernetes: kubeConfig.getCurrentCluster()?.server }, 'starting runtime-agent');
  const served = await serveAgent({ config, kubeConfig, logger });
  logger.info({ port: served.health.port }, 'health, metrics and debug endpoints listening');
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping');
  await served.stop();
  logger.flush();
  return 0;
}
