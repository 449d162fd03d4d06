// `runtime-agent sim --dir DIR` as a user runs it: a separate process whose files let kubectl and
// curl reach both simulators, stopped by SIGTERM. Runs the built binary (npm test builds first).
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';

const bin = new URL('../../bin/runtime-agent', import.meta.url).pathname;
const built = existsSync(new URL('../../dist/bundle/cli.js', import.meta.url));
// As a user runs it: without tap's loader and coverage collection (the bundle's coverage, mapped back
// through its source maps, would not merge with the coverage measured on the sources).
const { NODE_V8_COVERAGE: _coverage, NODE_OPTIONS: _options, ...userEnv } = process.env;

t.test(
  'sim --dir writes kubeconfig and sim.json that kubectl and curl use, and stops on SIGTERM',
  { skip: built ? false : 'dist/ is missing: run npm run build' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-command-'));
    const child = spawn(process.execPath, [bin, 'sim', '--dir', dir, '--apps', '4'], { env: userEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const deadline = Date.now() + 60_000;
    while (!output.includes('Stop with Ctrl-C') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100));
    }
    t.match(output, /Kubernetes simulator: https:\/\/127\.0\.0\.1:\d+/);

    const info = JSON.parse(readFileSync(join(dir, 'sim.json'), 'utf8'));
    t.match(info.kube.server, /^https:\/\/127\.0\.0\.1:\d+$/);
    t.equal(info.kube.kubeconfig, join(dir, 'kubeconfig'));
    t.equal(info.kube.agentKubeconfig, join(dir, 'agent-kubeconfig'), "a second kubeconfig, for the agent's ServiceAccount");
    t.match(output, /kubectl apply -k deploy\//, "the help says where the agent's RBAC comes from");
    for (const key of ['connectorUrl', 'certSecuredConnectorUrl', 'directorUrl', 'controlUrl', 'caFile'])
      t.ok(info.compass[key], `compass.${key}`);
    t.match(info.token, /^[A-Za-z0-9_-]{86}==$/, 'a fresh one-time token: 64 bytes, URL-safe base64 with padding');
    t.ok(info.runtimeId && info.tenant);

    if (existsSync('/usr/bin/kubectl')) {
      const kubectl = (...args: string[]) => execFileSync('kubectl', ['--kubeconfig', info.kube.kubeconfig, ...args]).toString();
      const namespaces = kubectl('get', 'namespaces', '-o', 'name');
      t.match(namespaces, 'namespace/kyma-system');
      t.match(namespaces, 'namespace/istio-system');
      t.match(kubectl('get', 'crd', '-o', 'name'), 'compassconnections.compass.kyma-project.io');
      t.match(kubectl('apply', '-f', join(dir, 'config-secret.yaml')), 'secret/compass-agent-configuration created');
      t.equal(
        kubectl('get', 'secret', '-n', 'kyma-system', 'compass-agent-configuration', '-o', 'jsonpath={.data.RUNTIME_ID}'),
        Buffer.from(info.runtimeId).toString('base64'),
      );

      // agent-kubeconfig authenticates as the agent's ServiceAccount, which may do what deploy/rbac.yaml grants
      const asAgent = (...args: string[]) => {
        const run = spawnSync('kubectl', ['--kubeconfig', info.kube.agentKubeconfig, ...args], { encoding: 'utf8', timeout: 30_000 });
        return { code: run.status, out: run.stdout, err: run.stderr };
      };
      t.match(asAgent('auth', 'whoami').out, /Username\s+system:serviceaccount:kyma-system:compass-runtime-agent/);
      t.match(asAgent('auth', 'can-i', 'get', 'secrets'), { code: 1, out: 'no\n' }, 'nothing before its RBAC is applied');
      // The install as the README gives it: kustomize renders deploy/, kubectl applies it. A server-side
      // dry run first, which stores nothing. (stderr piped: kubectl warns that the ServiceAccount the
      // simulator created has no last-applied annotation.)
      const rendered = execFileSync('kubectl', ['kustomize', new URL('../../deploy/', import.meta.url).pathname]).toString();
      const apply = (...extra: string[]) =>
        execFileSync('kubectl', ['--kubeconfig', info.kube.kubeconfig, 'apply', '-f', '-', ...extra], {
          input: rendered,
          stdio: ['pipe', 'pipe', 'pipe'],
        }).toString();
      t.match(apply('--dry-run=server'), /deployment\.apps\/compass-runtime-agent created \(server dry run\)/);
      t.match(asAgent('auth', 'can-i', 'get', 'secrets'), { code: 1, out: 'no\n' }, 'the dry run granted nothing');
      const applied = apply();
      for (const object of [
        'rolebinding.rbac.authorization.k8s.io',
        'clusterrole.rbac.authorization.k8s.io',
        'deployment.apps',
        'service',
        'networkpolicy.networking.k8s.io',
      ]) {
        t.match(applied, `${object}/compass-runtime-agent created`, `kustomize | apply created the ${object}`);
      }
      t.match(
        kubectl('explain', 'compassconnection.spec'),
        /managementInfo\s+<Object> -required-/,
        'kubectl explain reads the served OpenAPI',
      );
      t.match(asAgent('auth', 'can-i', 'patch', 'compassconnections'), { code: 0, out: 'yes\n' });
      t.match(
        asAgent('get', 'secret', 'compass-agent-configuration', '-o', 'jsonpath={.metadata.name}'),
        { code: 0, out: 'compass-agent-configuration' },
        'its context namespace is kyma-system',
      );
      t.match(asAgent('get', 'secrets', '-n', 'default'), {
        code: 1,
        err: /Error from server \(Forbidden\): secrets is forbidden: User "system:serviceaccount:kyma-system:compass-runtime-agent" cannot list resource "secrets" in API group "" in the namespace "default"/,
      });
    }
    // the Compass CA in caFile verifies the Connector's server certificate: curl with it, no -k
    const body = execFileSync('curl', [
      '-sS',
      '--cacert',
      info.compass.caFile,
      '-H',
      'Content-Type: application/json',
      '-H',
      `Connector-Token: ${info.token}`,
      '-d',
      JSON.stringify({ query: '{ result: configuration { token { token } certificateSigningRequestInfo { subject } } }' }),
      info.compass.connectorUrl,
    ]).toString();
    t.match(JSON.parse(body).data.result.certificateSigningRequestInfo.subject, /CN=/);
    const minted = JSON.parse(execFileSync('curl', ['-sS', '-X', 'POST', `${info.compass.controlUrl}/tokens`]).toString());
    t.match(minted.token, /==$/, 'POST /tokens mints a fresh token');

    child.kill('SIGTERM');
    t.equal(await exited, 0, 'SIGTERM stops it cleanly');
  },
);

t.test('sim without --dir is a usage error', { skip: built ? false : 'dist/ is missing' }, async (t) => {
  const child = spawn(process.execPath, [bin, 'sim'], { env: userEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 2);
  t.match(stderr, /--dir DIR is required/);
});
