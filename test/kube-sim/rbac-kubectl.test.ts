// kubectl v1.32, a client nobody here wrote, against the simulator's authentication and RBAC: the agent's
// deploy/ applied as admin, `kubectl auth can-i --as=<the agent's ServiceAccount>` answering from it
// (SelfSubjectAccessReview in protobuf, impersonation), a ServiceAccount kubeconfig refused with the
// API server's 403, `kubectl create token`, `kubectl auth whoami` and `kubectl auth can-i --list`.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';

const KUBECTL = '/usr/bin/kubectl';
const CRDS = new URL('../../crds/', import.meta.url).pathname;
const DEPLOY = new URL('../../deploy/', import.meta.url).pathname;
const AGENT = 'system:serviceaccount:kyma-system:compass-runtime-agent';

if (!existsSync(KUBECTL)) {
  t.plan(0, `skipped: ${KUBECTL} is absent; install kubectl v1.32 to run the kubectl cross-check`);
} else {
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-rbac-kubectl-'));
  let sim: KubeSim;
  let admin: string;
  let agentConfig: string;
  // Asynchronous on purpose: the simulator runs in this process and must keep serving. A discovery
  // cache of this test's own keeps kubectl from reusing what another test's simulator answered.
  const env = { ...process.env, KUBECACHEDIR: join(dir, 'cache') };
  const kubectl = async (kubeconfig: string, ...args: string[]) => {
    try {
      const { stdout, stderr } = await run(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000, env });
      return { code: 0, out: stdout, err: stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw error;
      return { code: e.code, out: e.stdout ?? '', err: e.stderr ?? '' };
    }
  };
  const canI = async (...args: string[]) => {
    const { code, out, err } = await kubectl(admin, 'auth', 'can-i', ...args, `--as=${AGENT}`);
    if (code > 1) throw new Error(`kubectl auth can-i ${args.join(' ')} failed (${code}): ${err}`);
    return out.trim();
  };

  t.before(async () => {
    sim = await startKubeSim({ crdDir: CRDS, namespaces: ['default', 'kube-system', 'kyma-system', 'istio-system'] });
    admin = await sim.writeKubeconfig(join(dir, 'admin'));
    // kubectl kustomize deploy/ | kubectl apply -f -, as an administrator installs the agent
    const rendered = await kubectl(admin, 'kustomize', DEPLOY);
    t.equal(rendered.code, 0, `kubectl kustomize deploy/: ${rendered.err}`);
    const manifests = join(dir, 'deploy.yaml');
    writeFileSync(manifests, rendered.out);
    const applied = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(KUBECTL, ['--kubeconfig', admin, 'apply', '-f', '-'], { env });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
      child.stdin.end(rendered.out);
    });
    t.equal(applied.code, 0, `kubectl apply of the rendered deploy/: ${applied.out}`);
    t.match(applied.out, /clusterrolebinding\.rbac\.authorization\.k8s\.io\/compass-runtime-agent created/);
    agentConfig = await sim.writeServiceAccountKubeconfig(join(dir, 'agent'), 'kyma-system', 'compass-runtime-agent');
  });
  t.teardown(() => sim.close());

  t.test('kubectl auth can-i --as the agent answers from deploy/rbac.yaml', async (t) => {
    t.equal(await canI('patch', 'compassconnections'), 'yes');
    t.equal(await canI('patch', 'compassconnections', '--subresource=status'), 'yes', 'the status subresource the ClusterRole names');
    t.equal(await canI('update', 'compassconnections', '--subresource=status'), 'no', 'with the verb the agent uses only');
    t.equal(await canI('create', 'applications.applicationconnector.kyma-project.io'), 'yes');
    t.equal(await canI('update', 'applications', '--subresource=status'), 'no', 'a subresource it does not name');
    t.equal(await canI('delete', 'customresourcedefinitions'), 'no');
    t.equal(await canI('get', 'secrets', '-n', 'kyma-system'), 'yes');
    // The integration namespace: the label watch of the Application Secrets (and the configuration Secret's watch).
    t.equal(await canI('list', 'secrets', '-n', 'kyma-system'), 'yes', 'Secrets of the integration namespace are listed');
    t.equal(await canI('watch', 'secrets/compass-agent-configuration', '-n', 'kyma-system'), 'yes');
    t.equal(await canI('watch', 'secrets', '-n', 'kyma-system'), 'yes');
    t.equal(await canI('list', 'secrets', '-n', 'istio-system'), 'no', 'elsewhere Secrets are not listed');
    t.equal(await canI('watch', 'secrets/kyma-gateway-certs-cacert', '-n', 'istio-system'), 'yes', 'the CA Secret is watched by name');
    t.equal(await canI('watch', 'secrets/some-other-secret', '-n', 'istio-system'), 'no', 'no other Secret there');
    t.equal(await canI('get', 'secrets', '-n', 'default'), 'no');
    t.equal(await canI('get', 'secrets', '-A'), 'no');
    t.equal(await canI('create', 'deployments', '-n', 'kyma-system'), 'no');
    t.equal(await canI('get', '/version'), 'yes', 'non-resource URLs: system:public-info-viewer');
    t.equal(await canI('get', '/metrics'), 'no');
    t.match(sim.requestLog.filter((e) => e.resource === 'selfsubjectaccessreviews').at(-1), {
      verb: 'create',
      status: 201,
      user: AGENT,
      impersonator: 'admin',
    });
  });

  t.test("kubectl auth can-i without --as asks for the admin; --list enumerates the agent's rules", async (t) => {
    t.equal((await kubectl(admin, 'auth', 'can-i', 'delete', 'nodes')).out.trim(), 'yes');
    const list = await kubectl(admin, 'auth', 'can-i', '--list', '-n', 'kyma-system', `--as=${AGENT}`);
    t.equal(list.code, 0, list.err);
    t.match(list.out, /Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
    t.match(list.out, /compassconnections\.compass\.kyma-project\.io\s+\[\]\s+\[\]\s+\[get list watch create patch\]/);
    t.match(list.out, /secrets\s+\[\]\s+\[\]\s+\[get list watch create update delete\]/);
    t.match(list.out, /\[\/apis\/\*\]\s+\[\]\s+\[get\]/);
  });

  t.test("with its own kubeconfig the ServiceAccount is refused outside its RBAC with the API server's 403", async (t) => {
    const whoami = await kubectl(agentConfig, 'auth', 'whoami');
    t.match(whoami.out, new RegExp(`Username\\s+${AGENT}`));
    t.match(whoami.out, /Groups\s+\[system:serviceaccounts system:serviceaccounts:kyma-system system:authenticated\]/);
    const list = await kubectl(agentConfig, 'get', 'secrets', '-n', 'istio-system');
    t.equal(list.code, 1);
    t.match(
      list.err,
      `Error from server (Forbidden): secrets is forbidden: User "${AGENT}" cannot list resource "secrets" in API group "" in the namespace "istio-system"`,
    );
    const other = await kubectl(agentConfig, 'get', 'secret', 'x', '-n', 'default');
    t.match(
      other.err,
      `Error from server (Forbidden): secrets "x" is forbidden: User "${AGENT}" cannot get resource "secrets" in API group "" in the namespace "default"`,
    );
    const namespaces = await kubectl(agentConfig, 'get', 'namespaces');
    t.match(
      namespaces.err,
      `Error from server (Forbidden): namespaces is forbidden: User "${AGENT}" cannot list resource "namespaces" in API group "" at the cluster scope`,
    );
    t.match(
      (await kubectl(agentConfig, 'get', 'secret', 'compass-agent-configuration')).err,
      /NotFound/,
      'what it is granted gets through to a 404',
    );
    t.equal((await kubectl(agentConfig, 'get', 'compassconnections')).code, 0, 'and its ClusterRole is in force');
    t.match(
      sim.requestLog.filter((e) => e.status === 403 && e.user === AGENT).map((e) => `${e.verb} ${e.resource}`),
      ['list secrets', 'get secrets', 'list namespaces'],
    );
  });

  t.test('kubectl create token mints a ServiceAccount token, refuses a missing ServiceAccount and short durations', async (t) => {
    const created = await kubectl(admin, 'create', 'token', 'compass-runtime-agent', '-n', 'kyma-system', '--duration=20m');
    t.equal(created.code, 0, created.err);
    const token = created.out.trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    t.equal(claims.exp - claims.iat, 1200);
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, sim.caPem);
    const withToken = await kubectl(
      '/dev/null',
      '--server',
      sim.url,
      '--certificate-authority',
      caFile,
      '--token',
      token,
      'auth',
      'whoami',
      '-o',
      'jsonpath={.status.userInfo.username}',
    );
    t.equal(withToken.out, AGENT, `the token authenticates as the ServiceAccount ${withToken.err}`);
    t.match(await kubectl(admin, 'create', 'token', 'nobody', '-n', 'kyma-system'), {
      code: 1,
      err: 'error: failed to create token: serviceaccounts "nobody" not found',
    });
    t.match(
      (await kubectl(admin, 'create', 'token', 'compass-runtime-agent', '-n', 'kyma-system', '--duration=1m')).err,
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    );
    t.match(
      (await kubectl(agentConfig, 'create', 'token', 'compass-runtime-agent')).err,
      `serviceaccounts "compass-runtime-agent" is forbidden: User "${AGENT}" cannot create resource "serviceaccounts/token" in API group "" in the namespace "kyma-system"`,
    );
  });
}
