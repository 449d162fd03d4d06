// Commands that say what they mean, as an operator meets them (bin/runtime-agent, the shipped bundle):
// every command answers --help without running; `run` without any Kubernetes configuration exits 2
// saying so (instead of retrying localhost:8080 for ever); a busy health port and an unwritable event
// log stop start-up with exit 2 and a message that names the variable.
import t from 'tap';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND_NAMES } from '../../src/cli.js';
import { NOT_BUILT, spawnCli } from '../helpers/cli-process.js';
import { startSimulators } from '../../src/commands/simulators.js';
import { writeSimFiles } from '../../src/commands/sim.js';
import { CONFIG_VARIABLES } from '../../src/config.js';

/** What each command's usage must mention: its options, or for run the variables it reads. */
const MENTIONS: Record<string, string[]> = {
  run: [...CONFIG_VARIABLES.map((v) => v.name), 'KUBECONFIG', 'exit codes'],
  demo: ['--apps N', '--once', '--timeout SECONDS'],
  sim: ['--dir DIR', '--apps N'],
  visualize: ['--format', 'mermaid', 'dot', 'svg', 'html', '--log FILE'],
  replay: ['FILE', 'segment', 'exit codes'],
  revoke: ['APP_CLUSTER_CERTIFICATES_SECRET', 'APP_AGENT_CONFIGURATION_SECRET', 'exit codes'],
};

/** An environment with no way to a cluster: no KUBECONFIG, not a Pod, a HOME without .kube/config. */
function noCluster(): Record<string, string | undefined> {
  return {
    KUBECONFIG: undefined,
    KUBERNETES_SERVICE_HOST: undefined,
    KUBERNETES_SERVICE_PORT: undefined,
    HOME: mkdtempSync(join(tmpdir(), 'home-')),
  };
}

t.test("runtime-agent COMMAND --help prints that command's usage and runs nothing, for every command", { skip: NOT_BUILT }, async (t) => {
  t.same(COMMAND_NAMES.sort(), Object.keys(MENTIONS).sort(), 'every command has its expectations here');
  // --help for each command; -h and `help COMMAND` go the same way (checked on two of them).
  const invocations = [...COMMAND_NAMES.map((name) => [name, '--help']), ['revoke', '-h'], ['help', 'demo']];
  for (const args of invocations) {
    const name = args[0] === 'help' ? args[1] : args[0];
    // No cluster and no simulators: a command that started running instead would fail or hang.
    const cli = spawnCli(args, noCluster());
    const code = await cli.exit;
    const text = cli.stdout.join('\n');
    t.equal(code, 0, `${args.join(' ')} exits 0 (${cli.stderr.join(' ')})`);
    t.match(text, new RegExp(`^usage: runtime-agent ${name}\\b`), `${args.join(' ')} prints the usage of ${name}`);
    for (const mention of MENTIONS[name]) t.match(text, mention, `${args.join(' ')} mentions ${mention}`);
  }
  const overview = spawnCli(['--help']);
  t.equal(await overview.exit, 0);
  t.match(overview.stdout.join('\n'), 'runtime-agent COMMAND --help tells more about one');
  const unknown = spawnCli(['help', 'frobnicate']);
  t.equal(await unknown.exit, 2, 'help for an unknown command is a usage error');
});

t.test(
  'run with no KUBECONFIG outside a cluster exits 2 and says so, instead of retrying localhost:8080',
  { skip: NOT_BUILT },
  async (t) => {
    const started = Date.now();
    const cli = spawnCli(['run'], noCluster());
    const code = await Promise.race([cli.exit, new Promise<'hang'>((resolve) => setTimeout(() => resolve('hang'), 30_000))]);
    cli.kill();
    t.equal(code, 2, 'exit code 2');
    t.ok(Date.now() - started < 30_000, 'at once');
    const stderr = cli.stderr.join('\n');
    t.match(
      stderr,
      /^runtime-agent run: no Kubernetes configuration: KUBECONFIG is not set, this is not a Pod \(KUBERNETES_SERVICE_HOST is not set\), and \S+\/\.kube\/config does not exist/,
    );
    t.match(stderr, 'Set KUBECONFIG to a kubeconfig file, or run the agent in the cluster');
    t.notMatch([...cli.stdout, ...cli.stderr].join('\n'), /localhost:8080|ECONNREFUSED/, 'no attempt at localhost:8080');

    const pod = spawnCli(['run'], { ...noCluster(), KUBERNETES_SERVICE_HOST: '10.0.0.1' });
    t.equal(await pod.exit, 2, 'a Pod without a mounted token: exit 2 too');
    t.match(
      pod.stderr.join('\n'),
      /KUBERNETES_SERVICE_HOST is set but no service-account token is mounted at \/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/token/,
    );

    const missing = spawnCli(['run'], { ...noCluster(), KUBECONFIG: '/nonexistent/kubeconfig' });
    t.equal(await missing.exit, 2, 'a KUBECONFIG that names no file: exit 2');
    t.match(missing.stderr.join('\n'), 'KUBECONFIG names /nonexistent/kubeconfig, which cannot be read (ENOENT');

    const revoke = spawnCli(['revoke'], noCluster());
    t.equal(await revoke.exit, 2, 'revoke without a cluster: exit 2 as well');
    t.match(revoke.stderr.join('\n'), /^runtime-agent revoke: no Kubernetes configuration/);
  },
);

t.test('a busy health port and an unwritable event log stop start-up with exit 2 and name the variable', { skip: NOT_BUILT }, async (t) => {
  const sims = await startSimulators({ apps: 1 });
  t.teardown(() => sims.close());
  const dir = mkdtempSync(join(tmpdir(), 'startup-'));
  const info = writeSimFiles(dir, sims);
  const env = {
    KUBECONFIG: info.kube.agentKubeconfig,
    NODE_EXTRA_CA_CERTS: info.compass.caFile,
    APP_RSA_KEY_BITS: '2048',
    APP_DEBUG_ADDRESS: 'off',
  };

  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '0.0.0.0', resolve));
  t.teardown(() => new Promise<void>((resolve) => busy.close(() => resolve())));
  const port = (busy.address() as { port: number }).port;
  const portRun = spawnCli(['run'], { ...env, APP_HEALTH_PORT: String(port) });
  t.teardown(() => portRun.kill());
  t.equal(await portRun.exit, 2, 'a busy APP_HEALTH_PORT: exit 2');
  t.match(portRun.stderr.join('\n'), `runtime-agent run: APP_HEALTH_PORT=${port}: port ${port} is already in use (EADDRINUSE)`);
  t.match(portRun.stderr.join('\n'), 'choose another port with APP_HEALTH_PORT');

  const notADirectory = join(dir, 'plain-file');
  writeFileSync(notADirectory, '');
  const file = join(notADirectory, 'events.jsonl');
  const logRun = spawnCli(['run'], { ...env, APP_HEALTH_PORT: '0', APP_EVENT_LOG_FILE: file });
  t.teardown(() => logRun.kill());
  t.equal(await logRun.exit, 2, 'an APP_EVENT_LOG_FILE that cannot be written: exit 2');
  t.match(
    logRun.stderr.join('\n'),
    `runtime-agent run: APP_EVENT_LOG_FILE=${file}: the event log file ${file} cannot be opened for appending (ENOTDIR`,
  );
  t.match(logRun.stderr.join('\n'), 'put the file on a mounted volume such as an emptyDir');
});
