// `runtime-agent sim --dir DIR [--apps N]`: both simulators on loopback until SIGTERM, with a
// kubeconfig and sim.json in DIR so that kubectl, curl and the agent can be pointed at them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseCommandArgs, positiveInteger, UsageError } from './command-args.js';
import { AGENT_SERVICE_ACCOUNT, startSimulators, type Simulators } from './simulators.js';
import { errorMessage } from '../../adapters/unknown-values.js';

export const usage = `usage: runtime-agent sim --dir DIR [--apps N]

Runs the Kubernetes and Compass simulators on loopback until SIGTERM or Ctrl-C, so that kubectl, curl
and \`runtime-agent run\` can be pointed at them (the README's tutorial).

options:
  --dir DIR   (required) where to write kubeconfig (cluster admin), agent-kubeconfig (the agent's
              ServiceAccount), sim.json (URLs, runtime id, tenant, a one-time token), compass-ca.pem
              and config-secret.yaml (the agent configuration Secret)
  --apps N    applications the Compass simulator assigns to the Runtime (default 3)
`;

/** `out` and `err` are where the command prints (stdout and stderr unless a caller says otherwise). */
export async function run(
  args: string[],
  out: (text: string) => void = (text) => void process.stdout.write(text),
  err: (text: string) => void = (text) => void process.stderr.write(text),
): Promise<number> {
  let dir: string;
  let apps: number;
  try {
    const { values } = parseCommandArgs('sim', args, { dir: { type: 'string' }, apps: { type: 'string' } });
    if (!values.dir) throw new UsageError('sim: --dir DIR is required (the folder for kubeconfig and sim.json)');
    dir = resolve(values.dir);
    apps = positiveInteger('sim', 'apps', values.apps, 3);
  } catch (error) {
    err(`${errorMessage(error)}\n`);
    return 2;
  }
  mkdirSync(dir, { recursive: true });
  const sims = await startSimulators({ dir, apps });
  const info = writeSimFiles(dir, sims);
  out(
    [
      `Kubernetes simulator: ${info.kube.server}`,
      `Compass Connector:    ${info.compass.connectorUrl}`,
      `Compass Director:     ${info.compass.directorUrl}`,
      `Control API:          ${info.compass.controlUrl} (POST /tokens for a fresh one-time token)`,
      '',
      `  export KUBECONFIG=${info.kube.kubeconfig} NODE_EXTRA_CA_CERTS=${info.compass.caFile}`,
      `  kubectl get compassconnections,applications`,
      '',
      `  kubectl apply -f ${join(dir, 'config-secret.yaml')}   # the agent configuration Secret with a fresh token`,
      '',
      `kubeconfig is a cluster admin. agent-kubeconfig is the agent's ServiceAccount, ${AGENT_SERVICE_ACCOUNT.namespace}/${AGENT_SERVICE_ACCOUNT.name},`,
      'which may do little beyond discovery until its RBAC is applied, as in a cluster (from a checkout, as admin):',
      '',
      '  kubectl apply -k deploy/                       # the ServiceAccount, its Roles and bindings (and the Deployment)',
      `  KUBECONFIG=${info.kube.agentKubeconfig} kubectl auth can-i --list   # what the agent may do`,
      '',
      `Files in ${dir}: kubeconfig, agent-kubeconfig, sim.json, compass-ca.pem, config-secret.yaml. Stop with Ctrl-C or SIGTERM.`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await sims.close();
  return 0;
}

export interface SimInfo {
  /** kubeconfig: cluster admin; agentKubeconfig: the agent's ServiceAccount (RBAC from deploy/). */
  kube: { server: string; kubeconfig: string; agentKubeconfig: string };
  compass: {
    connectorUrl: string;
    certSecuredConnectorUrl: string;
    directorUrl: string;
    controlUrl: string;
    caFile: string;
  };
  runtimeId: string;
  tenant: string;
  token: string;
}

export function writeSimFiles(dir: string, sims: Simulators): SimInfo {
  const caFile = join(dir, 'compass-ca.pem');
  writeFileSync(caFile, sims.compass.serverCaPem);
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, sims.kubeconfigYaml, { mode: 0o600 });
  const agentKubeconfig = join(dir, 'agent-kubeconfig');
  writeFileSync(agentKubeconfig, sims.agentKubeconfigYaml, { mode: 0o600 });
  const info: SimInfo = {
    kube: { server: sims.kube.url, kubeconfig, agentKubeconfig },
    compass: {
      connectorUrl: sims.compass.connectorUrl,
      certSecuredConnectorUrl: sims.compass.certSecuredConnectorUrl,
      directorUrl: sims.compass.directorUrl,
      controlUrl: sims.compass.controlUrl,
      caFile,
    },
    runtimeId: sims.compass.runtimeId,
    tenant: sims.compass.tenant,
    token: sims.compass.mintToken(),
  };
  writeFileSync(join(dir, 'sim.json'), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  // The agent configuration Secret of the tutorial, ready for `kubectl apply -f`.
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'compass-agent-configuration', namespace: 'kyma-system' },
    type: 'Opaque',
    stringData: { CONNECTOR_URL: info.compass.connectorUrl, RUNTIME_ID: info.runtimeId, TENANT: info.tenant, TOKEN: info.token },
  };
  writeFileSync(join(dir, 'config-secret.yaml'), JSON.stringify(secret, null, 2) + '\n', { mode: 0o600 });
  return info;
}
