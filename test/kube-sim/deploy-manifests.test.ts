// The project's deploy/ manifests through kubectl v1.32 against the simulator, as an operator would
// apply them: `kubectl kustomize deploy/ | kubectl apply -f -` creates everything, a second apply
// changes nothing, `--dry-run=server` stores nothing, an edited manifest updates only what changed,
// and the Go agent's chart applied over it meets the API server's selector immutability.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';
import { UPSTREAM_INSTALL_DIR } from '../helpers/upstream-files.js';

const KUBECTL = '/usr/bin/kubectl';
const DEPLOY = new URL('../../deploy/', import.meta.url).pathname;
const GO_AGENT_INSTALL = `${UPSTREAM_INSTALL_DIR}/go-agent-install.yaml`;

if (!existsSync(KUBECTL)) {
  t.plan(0, `skipped: ${KUBECTL} is absent; install kubectl v1.32 to run the deploy/ manifests against the simulator`);
} else {
  let sim: KubeSim;
  let kubeconfig: string;
  /** kubectl with optional stdin; never throws, so a failure's output can be asserted on. */
  const kubectl = (args: string[], input?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill(), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(input ?? '');
    });
  let manifests = '';
  const kinds = ['serviceaccount', 'role', 'clusterrole', 'rolebinding', 'clusterrolebinding', 'service', 'deployment'];
  const lines = (out: string) => out.trim().split('\n').filter(Boolean);

  t.before(async () => {
    sim = await startKubeSim({ namespaces: ['default', 'kyma-system', 'istio-system'] });
    kubeconfig = await sim.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'kube-sim-deploy-')), 'kubeconfig'));
    const built = await kubectl(['kustomize', DEPLOY]);
    if (built.code !== 0) throw new Error(`kubectl kustomize deploy/ failed: ${built.stderr}`);
    manifests = built.stdout;
  });
  t.teardown(() => sim.close());

  t.test('apply --dry-run=server on an empty cluster reports every object and stores none', async (t) => {
    const dry = await kubectl(['apply', '--dry-run=server', '-f', '-'], manifests);
    t.equal(dry.code, 0, dry.stderr);
    for (const line of lines(dry.stdout)) t.match(line, / created \(server dry run\)$/);
    t.equal(sim.list('apps/v1', 'Deployment', 'kyma-system').length, 0);
    t.equal(sim.get('v1', 'ServiceAccount', 'compass-runtime-agent', 'kyma-system'), undefined);
    t.equal(sim.list('rbac.authorization.k8s.io/v1', 'RoleBinding').length, 0);
  });

  t.test('apply -f - creates everything; applying again is unchanged, as is a server dry run', async (t) => {
    const first = await kubectl(['apply', '-f', '-'], manifests);
    t.equal(first.code, 0, first.stderr);
    for (const kind of kinds) t.match(first.stdout, new RegExp(`^${kind}[./][^ ]*compass-runtime-agent created$`, 'm'), `${kind} created`);
    t.notMatch(first.stdout, /configured|unchanged/);
    const deployment = sim.get('apps/v1', 'Deployment', 'compass-runtime-agent', 'kyma-system')!;
    t.match(deployment.spec, {
      replicas: 2,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    t.match(
      sim.get('policy/v1', 'PodDisruptionBudget', 'compass-runtime-agent', 'kyma-system')!.spec,
      { maxUnavailable: 1, selector: deployment.spec.selector },
      "a PodDisruptionBudget for the Deployment's Pods",
    );
    t.match(sim.get('v1', 'Service', 'compass-runtime-agent', 'kyma-system')!.spec.clusterIP, /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);

    const second = await kubectl(['apply', '-f', '-'], manifests);
    t.equal(second.code, 0, second.stderr);
    // kubectl's three-way strategic merge always sends a PodDisruptionBudget's selector (its patch
    // strategy is replace) and so says "configured", against a real API server too; nothing changes.
    const unchanged = (line: string) =>
      line.startsWith('poddisruptionbudget.policy/') ? / configured( \(server dry run\))?$/ : / unchanged( \(server dry run\))?$/;
    for (const line of lines(second.stdout)) t.match(line, unchanged(line));
    t.equal(lines(second.stdout).length, lines(first.stdout).length);
    const rv = sim.resourceVersion;
    const dry = await kubectl(['apply', '--dry-run=server', '-f', '-'], manifests);
    for (const line of lines(dry.stdout)) t.match(line, unchanged(line));
    t.equal(sim.resourceVersion, rv, 'nothing was written');
  });

  t.test('an edited manifest updates only what changed, and keeps what the patch does not mention', async (t) => {
    const changed = manifests.replace(/(name: APP_CONTROLLER_SYNC_PERIOD\s+value: )\S+/, '$1240s');
    t.not(changed, manifests, 'deploy/ sets APP_CONTROLLER_SYNC_PERIOD');
    const edited = await kubectl(['apply', '-f', '-'], changed);
    t.equal(edited.code, 0, edited.stderr);
    t.match(edited.stdout, /^deployment\.apps\/compass-runtime-agent configured$/m);
    t.equal(
      lines(edited.stdout).filter((l) => l.endsWith(' configured') && !l.startsWith('poddisruptionbudget.policy/')).length,
      1,
      'only the Deployment (the PodDisruptionBudget always says configured)',
    );
    const deployment = sim.get('apps/v1', 'Deployment', 'compass-runtime-agent', 'kyma-system')!;
    const container = deployment.spec.template.spec.containers[0];
    t.equal(container.env.find((e: { name: string }) => e.name === 'APP_CONTROLLER_SYNC_PERIOD').value, '240s');
    t.equal(container.image, 'runtime-agent:latest', 'the container kept its image (strategic merge by container name)');
    t.equal(deployment.metadata.generation, 2);
  });

  t.test(
    "the Go agent's chart applied over it: the API server's selector immutability",
    { skip: !existsSync(GO_AGENT_INSTALL) && `${GO_AGENT_INSTALL} is absent` },
    async (t) => {
      const over = await kubectl(['apply', '-f', GO_AGENT_INSTALL]);
      t.not(over.code, 0);
      t.match(
        over.stderr,
        'The Deployment "compass-runtime-agent" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"compass-runtime-agent", "release":"compass-runtime-agent"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
      );
      t.equal(sim.get('apps/v1', 'Deployment', 'compass-runtime-agent', 'kyma-system')!.spec.selector.matchLabels.release, undefined);
    },
  );
}
