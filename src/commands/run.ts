// `runtime-agent run`: the agent in a cluster. Configuration from APP_* variables, Kubernetes from
// KUBECONFIG or the in-cluster service account. Exit 2 when it cannot start (a malformed variable, no
// Kubernetes configuration, a busy health port, an unwritable event log), 0 after SIGTERM.
import { createLogger } from '../../adapters/logger.js';
import { KubeConfigError, loadKubeConfig } from '../../adapters/kube/kube-client.js';
import { CONFIG_VARIABLES, describeConfig } from '../config.js';
import { configFromEnvironment } from './command-args.js';
import { applyRunV8Settings } from './run-v8-settings.js';
import { serveAgent, StartupError, untilSignal } from './serve-agent.js';

export function usage(): string {
  const width = Math.max(...CONFIG_VARIABLES.map((v) => v.name.length));
  const variables = CONFIG_VARIABLES.map((v) => `  ${v.name.padEnd(width)}  ${v.default === '' ? '(unset)' : v.default}`);
  return `usage: runtime-agent run

The agent: exchanges the one-time token of the configuration Secret for a client certificate at the
Compass Connector, keeps that connection, mirrors the Runtime's Applications as Application resources
and projects its state into the CompassConnection compass-connection. It takes no arguments:
configuration comes from the APP_* environment variables below, Kubernetes from KUBECONFIG, else the
Pod's ServiceAccount, else ~/.kube/config. Extra CA certificates for Compass: NODE_EXTRA_CA_CERTS.
SIGTERM or Ctrl-C stops it.

exit codes: 0 stopped by a signal; 2 it cannot start: a malformed APP_* value, no Kubernetes
            configuration, APP_HEALTH_PORT in use, APP_EVENT_LOG_FILE not writable (the message names it)

environment (default):
${variables.join('\n')}

The README's Configuration table says what each one means.
`;
}

export async function run(args: string[]): Promise<number> {
  const config = configFromEnvironment('run', args);
  if (config === 2) return 2;
  // Before the agent starts: V8 applies them from here on (run-v8-settings.ts).
  const v8Settings = applyRunV8Settings();
  let kubeConfig;
  try {
    ({ kubeConfig } = loadKubeConfig());
  } catch (err) {
    if (!(err instanceof KubeConfigError)) throw err;
    process.stderr.write(`runtime-agent run: ${err.message}\n`);
    return 2;
  }
  const logger = createLogger({ level: config.logLevel });
  logger.info(
    {
      config: describeConfig(config),
      kubernetes: kubeConfig.getCurrentCluster()?.server,
      v8: v8Settings.join('; '),
    },
    'starting runtime-agent',
  );
  let served;
  try {
    served = await serveAgent({ config, kubeConfig, logger });
  } catch (err) {
    if (!(err instanceof StartupError)) throw err;
    logger.error({ variable: err.variable }, err.message);
    logger.flush();
    process.stderr.write(`runtime-agent run: ${err.message}\n`);
    return 2;
  }
  logger.info({ port: served.health.port }, 'health, metrics and debug endpoints listening');
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping');
  await served.stop();
  logger.flush();
  return 0;
}
