// Acceptance: `runtime-agent run` and `runtime-agent revoke` as processes, configured like in a
// cluster (APP_* variables, KUBECONFIG, NODE_EXTRA_CA_CERTS) against the simulators: bad
// configuration stops start-up with exit code 2, the agent reaches Synchronized and serves its probes,
// revoke makes Compass refuse the certificate until a fresh token reconnects, SIGTERM exits 0.
// The processes run the TypeScript sources through scripts/ts-loader.mjs, so no `npm run build` is needed.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKubeConfig } from '../../adapters/kube/kube-client.js';
import { startSimulators } from '../../src/commands/simulators.js';
import { writeSimFiles } from '../../src/commands/sim.js';
import { installAgent } from '../helpers/agent-install.js';
import { CLIENT_SECRET, CONFIG_SECRET } from '../helpers/agent-harness.js';
import { certificateSha256, sleep } from '../helpers/connection-checks.js';
import { TS_LOADER } from '../helpers/ts-loader.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

interface Running {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<number | null>;
}

function runtimeAgent(args: string[], env: Record<string, string>): Running {
  const child = spawn(
    process.execPath,
    [TS_LOADER, '--input-type=module', '-e', `const cli = await import(${JSON.stringify(CLI)}); await cli.main(${JSON.stringify(args)});`],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (into: string[]) => {
    let rest = '';
    return (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      into.push(...lines.filter((l) => l.trim()));
    };
  };
  child.stdout.on('data', collect(stdout));
  child.stderr.on('data', collect(stderr));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr, exit };
}

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

t.test('a malformed APP_* value stops start-up with exit code 2 and names the variable', async (t) => {
  // A valid kubeconfig, so that the exit code can only come from the variable (with none, the missing
  // Kubernetes configuration would exit 2 as well).
  const dir = mkdtempSync(join(tmpdir(), 'agent-bad-variable-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]',
      'users: [{name: u, user: {token: not-a-secret}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  t.equal(
    loadKubeConfig({ env: { KUBECONFIG: kubeconfig } }).kubeConfig.getCurrentCluster()?.server,
    'https://127.0.0.1:9',
    'the kubeconfig is valid',
  );
  const bad = runtimeAgent(['run'], { APP_CONTROLLER_SYNC_PERIOD: 'soon', KUBECONFIG: kubeconfig, APP_HEALTH_PORT: '0' });
  const flag = runtimeAgent(['run'], { APP_SKIP_COMPASS_TLS_VERIFY: 'maybe', KUBECONFIG: kubeconfig, APP_HEALTH_PORT: '0' });
  t.teardown(() => {
    for (const agent of [bad, flag]) if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
  });
  // An agent that accepted the value would keep running against that (unreachable) API server.
  const exitOf = (agent: Running) =>
    new Promise<number | null | string>((resolve) => {
      const timer = setTimeout(() => resolve('still running after 60 s'), 60_000);
      void agent.exit.then((code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  t.equal(await exitOf(bad), 2, 'a bad duration: exit code 2');
  t.match(bad.stderr.join('\n'), /APP_CONTROLLER_SYNC_PERIOD: invalid duration "soon"/, 'the message names the variable');
  t.equal(await exitOf(flag), 2, 'a bad boolean: exit code 2');
  t.match(flag.stderr.join('\n'), /APP_SKIP_COMPASS_TLS_VERIFY: "maybe" is not a boolean/, 'the message names the variable');
});

t.test(
  'run against the simulators: Synchronized, probes answer, revoke is refused until a fresh token reconnects, SIGTERM exits 0',
  async (t) => {
    const sims = await startSimulators({ apps: 2 });
    t.teardown(() => sims.close());
    const dir = mkdtempSync(join(tmpdir(), 'agent-run-'));
    const info = writeSimFiles(dir, sims);
    await installAgent(sims, info.kube.kubeconfig);
    const tokens = [info.token];
    const writeConfig = async (token: string) => {
      if (sims.kube.get('v1', 'Secret', CONFIG_SECRET.name, CONFIG_SECRET.namespace))
        await sims.kube.delete('v1', 'Secret', CONFIG_SECRET.name, CONFIG_SECRET.namespace);
      await sims.kube.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { ...CONFIG_SECRET },
        stringData: { CONNECTOR_URL: info.compass.connectorUrl, RUNTIME_ID: info.runtimeId, TENANT: info.tenant, TOKEN: token },
      });
    };
    await writeConfig(info.token);
    const env = {
      // The agent's ServiceAccount, bound by deploy/'s RBAC, as in a cluster.
      KUBECONFIG: info.kube.agentKubeconfig,
      NODE_EXTRA_CA_CERTS: info.compass.caFile,
      APP_HEALTH_PORT: '0',
      APP_CONTROLLER_SYNC_PERIOD: '1s',
      APP_MINIMAL_COMPASS_SYNC_TIME: '300ms',
      APP_RETRY_INITIAL_DELAY: '200ms',
      APP_RETRY_MAX_DELAY: '2s',
      APP_RSA_KEY_BITS: '2048',
    };
    const agent = runtimeAgent(['run'], env);
    t.teardown(() => {
      if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
    });
    const state = () =>
      (
        sims.kube.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection') as
          { status?: { connectionState?: string } } | undefined
      )?.status?.connectionState;
    const certificate = () => {
      const secret = sims.kube.get('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace) as
        { data?: Record<string, string> } | undefined;
      return secret?.data?.crt ? certificateSha256(Buffer.from(secret.data.crt, 'base64').toString('utf8')) : undefined;
    };

    const port = await until('the health endpoint port in the log', () => {
      for (const line of agent.stdout) {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'health, metrics and debug endpoints listening') return entry.port;
      }
      return agent.child.exitCode === null ? undefined : Promise.reject(new Error(`run exited early: ${agent.stderr.join('\n')}`));
    });
    await until('Synchronized', () => state() === 'Synchronized');
    const base = `http://127.0.0.1:${port}`;
    const healthz = await fetch(`${base}/healthz`);
    t.equal(healthz.status, 200, '/healthz 200');
    const readyz = await fetch(`${base}/readyz`);
    t.equal(readyz.status, 200, '/readyz 200');
    t.match(await readyz.text(), /client certificate valid until \d{4}-/, 'ready because it holds a certificate');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    t.match(metrics, /runtime_agent_connection_state\{state="Synchronized"\} 1/, 'the state metric');
    t.match(metrics, /runtime_agent_director_application_pages_total\{answer="read"\} [1-9]/, 'the Director pages of the synchronization');

    const first = certificate()!;
    const revoke = runtimeAgent(['revoke'], env);
    t.equal(await revoke.exit, 0, `revoke exits 0 (${revoke.stderr.join(' ')})`);
    t.match(revoke.stdout.join('\n'), /revoked the client certificate valid until/);
    t.equal(
      sims.compass.control.issuedCertificates().find((c) => c.sha256 === first)?.revoked,
      true,
      'Compass marks the certificate revoked',
    );
    await until('ConnectionMaintenanceFailed (the revoked certificate is refused)', () => state() === 'ConnectionMaintenanceFailed');
    const fresh = sims.compass.mintToken();
    tokens.push(fresh);
    await writeConfig(fresh);
    await until(
      'Synchronized with a new certificate',
      () => state() === 'Synchronized' && certificate() !== undefined && certificate() !== first,
    );
    t.pass('the agent reconnected with the fresh token by itself');

    agent.child.kill('SIGTERM');
    t.equal(await agent.exit, 0, 'SIGTERM stops it with exit code 0');
    const output = [...agent.stdout, ...agent.stderr, ...revoke.stdout, ...revoke.stderr].join('\n');
    t.ok(
      agent.stdout.some((l) => l.includes('"msg":"stopping"')),
      'it logged the shutdown',
    );
    for (const token of tokens) t.notOk(output.includes(token), 'no token in the output of run or revoke');
    t.notMatch(output, /-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)|LS0tLS1CRUdJTi/, 'no key or certificate in the output');
  },
);
