// `runtime-agent demo [--apps N] [--once]`: the Kubernetes and Compass simulators and the agent in
// one process, with a readable progress view. The agent runs its production code paths: real TLS,
// real Kubernetes and GraphQL clients; only the servers are simulated.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { createLogger } from '../../adapters/logger.js';
import { loadConfig } from '../config.js';
import { parseCommandArgs, positiveInteger } from './command-args.js';
import { serveAgent, untilSignal } from './serve-agent.js';
import { startSimulators } from './simulators.js';
import { writeSimFiles } from './sim.js';
import { errorMessage } from '../../adapters/unknown-values.js';

const CONFIG_SECRET = { namespace: 'kyma-system', name: 'compass-agent-configuration' };

export const usage = `usage: runtime-agent demo [--apps N] [--once] [--timeout SECONDS]

Starts the Kubernetes and Compass simulators on loopback and the agent against them, in one process,
and prints its progress: no cluster or Compass needed. The agent runs its production code paths (real
TLS, real Kubernetes and GraphQL clients). Without --once it runs until Ctrl-C and prints how to add
and remove applications in the Compass simulator meanwhile.

options:
  --apps N           applications the Compass simulator assigns to the Runtime (default 5)
  --once             exit 0 as soon as the agent is Synchronized (exit 1 after --timeout)
  --timeout SECONDS  how long --once waits (default 120)
`;

export async function run(args: string[], out: (line: string) => void = (l) => process.stdout.write(l + '\n')): Promise<number> {
  let apps: number;
  let once: boolean;
  let timeoutSeconds: number;
  try {
    const { values } = parseCommandArgs('demo', args, {
      apps: { type: 'string' },
      once: { type: 'boolean', default: false },
      timeout: { type: 'string' },
    });
    apps = positiveInteger('demo', 'apps', values.apps, 5);
    once = values.once ?? false;
    timeoutSeconds = positiveInteger('demo', 'timeout', values.timeout, 120);
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n\n${usage}`);
    return 2;
  }

  const started = Date.now();
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
  out(`runtime-agent demo: starting the Kubernetes and Compass simulators with ${apps} applications…`);
  const dir = mkdtempSync(join(tmpdir(), 'runtime-agent-demo-'));
  const sims = await startSimulators({ apps });
  const info = writeSimFiles(dir, sims);
  await sims.kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: CONFIG_SECRET,
    type: 'Opaque',
    stringData: { CONNECTOR_URL: info.compass.connectorUrl, RUNTIME_ID: info.runtimeId, TENANT: info.tenant, TOKEN: info.token },
  });
  out(`${stamp()} Secret ${CONFIG_SECRET.namespace}/${CONFIG_SECRET.name} created with a one-time token`);
  out(`         look around while it runs: export KUBECONFIG=${info.kube.kubeconfig}; kubectl get compassconnection,applications`);

  const logFile = join(dir, 'agent.log');
  const config = loadConfig({
    APP_CONTROLLER_SYNC_PERIOD: '5s',
    APP_MINIMAL_COMPASS_SYNC_TIME: '2s',
    APP_HEALTH_PORT: '0',
    APP_EVENT_LOG_FILE: join(dir, 'events.jsonl'),
    // The simulated Runtime's labels: example URLs are right here (unset, the agent leaves labels alone).
    APP_RUNTIME_EVENTS_URL: 'https://gateway.kyma.local',
    APP_RUNTIME_CONSOLE_URL: 'https://console.kyma.local',
    APP_LOG_LEVEL: 'info',
  });
  const logger = createLogger({ level: 'info', destination: pino.destination({ dest: logFile, sync: false }) });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(sims.kubeconfigYaml);
  const served = await serveAgent({ config, kubeConfig, logger, compassCaPem: sims.compass.serverCaPem, healthHost: '127.0.0.1' });
  out(`${stamp()} agent started; logs in ${logFile}, live state at ${served.health.url}/debug?format=html`);

  // One line when the top-level state or the CompassConnection state changes (not every cycle), and
  // the Applications whenever the synchronized set changes.
  let lastKey = '';
  let lastApplications = '';
  let hinted = false;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));
  const subscription = served.agent.runtime.snapshot$.subscribe((snapshot) => {
    const path = statePath(snapshot.value);
    // The steps of a cycle (Connected's Idle, Maintaining, Synchronizing) are not worth a line each.
    const phase = path.replace(/^(Certified\.Connected)\..*$/, '$1');
    const crState = snapshot.context.connectionState ?? '-';
    if (`${phase}|${crState}` !== lastKey) {
      lastKey = `${phase}|${crState}`;
      out(`${stamp()} ${path.padEnd(32)} CompassConnection: ${crState}`);
    }
    if (!snapshot.matches({ Certified: { Connected: 'Idle' } }) || crState !== 'Synchronized') return;
    const managed = sims.kube.list('applicationconnector.kyma-project.io/v1alpha1', 'Application');
    const names = managed.map((a) => String(a.metadata.name)).join(', ');
    if (names !== lastApplications) {
      lastApplications = names;
      const labels = sims.compass.control.runtimeLabels(info.runtimeId) ?? {};
      out(`         ${managed.length} Application resources: ${names}`);
      out(
        `         runtime labels: runtime_eventServiceUrl=${String(labels.runtime_eventServiceUrl)} runtime_consoleUrl=${String(labels.runtime_consoleUrl)}`,
      );
      if (!once && lastKey.endsWith('|Synchronized') && !hinted) {
        hinted = true;
        for (const line of changeHint(
          info.compass.controlUrl,
          sims.compass.control.applications().map((a) => a.id),
        ))
          out(line);
      }
    }
    if (once) resolveDone(0);
  });
  const timeout = once ? setTimeout(() => resolveDone(1), timeoutSeconds * 1000) : undefined;
  const code = await Promise.race([done, untilSignal().then(() => 0)]);
  clearTimeout(timeout);
  subscription.unsubscribe();
  if (code !== 0) out(`${stamp()} not Synchronized after ${timeoutSeconds}s; see ${logFile}`);
  out(`${stamp()} stopping; the event log is in ${join(dir, 'events.jsonl')} (runtime-agent replay / visualize --log)`);
  await served.stop();
  await sims.close();
  return code;
}

/** `Certified.Connected.Idle` for {Certified: {Connected: 'Idle'}}. */
function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  return Object.entries(value)
    .map(([key, child]) => `${key}.${statePath(child)}`)
    .join(', ');
}

/**
 * How to change what Compass assigns while the demo runs, as commands that work when pasted: the
 * simulator generated its applications from seed 1, so new ones need another seed.
 */
export function changeHint(controlUrl: string, applicationIds: string[]): string[] {
  return [
    '         the agent now checks the connection and synchronizes every 5 s; change what Compass assigns in another shell:',
    `           curl -s -X POST ${controlUrl}/applications/generate -d '{"count":2,"seed":2}'   # 2 more (another seed for others)`,
    ...(applicationIds[0] ? [`           curl -s -X DELETE ${controlUrl}/applications/${applicationIds[0]}   # remove one`] : []),
    '         Ctrl-C stops',
  ];
}
