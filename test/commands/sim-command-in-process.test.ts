// `runtime-agent sim` in this process (sim-command.test.ts runs the built binary as a user does): the
// usage errors exit 2 with the reason, and a started pair of simulators prints what it wrote to --dir,
// serves until SIGTERM and is closed after it.
import t from 'tap';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/commands/sim.js';

/** Runs the command with what it prints collected; `whileRunning` sees the output so far. */
async function captured(args: string[], whileRunning?: (out: () => string) => Promise<void>) {
  let out = '';
  const print = (text: string) => void (out += text);
  const result = run(args, print, print);
  if (whileRunning) await whileRunning(() => out);
  return { result: await result, out };
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

t.test('sim without --dir, or with a bad --apps: exit 2 and the reason', async (t) => {
  const missing = await captured([]);
  t.equal(missing.result, 2);
  t.match(missing.out, /--dir DIR is required/);
  const badApps = await captured(['--dir', mkdtempSync(join(tmpdir(), 'sim-')), '--apps', 'many']);
  t.equal(badApps.result, 2);
  t.match(badApps.out, /apps/);
});

t.test('sim --dir: writes its files, prints the URLs they hold, serves until SIGTERM, then closes', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'sim-')), 'nested');
  let port = 0;
  const { result, out } = await captured(['--dir', dir, '--apps', '2'], async (output) => {
    const deadline = Date.now() + 30_000;
    while (!output().includes('Stop with Ctrl-C') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const info = JSON.parse(readFileSync(join(dir, 'sim.json'), 'utf8'));
    port = Number(new URL(info.kube.server).port);
    t.notOk(await refused(port), 'the Kubernetes simulator accepts connections while it runs');
    process.emit('SIGTERM');
  });
  t.equal(result, 0, 'exit 0 after SIGTERM');
  const info = JSON.parse(readFileSync(join(dir, 'sim.json'), 'utf8'));
  t.ok(out.includes(`Kubernetes simulator: ${info.kube.server}`), 'the printed server is the one in sim.json');
  t.ok(out.includes(`Compass Director:     ${info.compass.directorUrl}`));
  t.ok(out.includes(`export KUBECONFIG=${info.kube.kubeconfig} NODE_EXTRA_CA_CERTS=${info.compass.caFile}`));
  for (const file of ['kubeconfig', 'agent-kubeconfig', 'sim.json', 'compass-ca.pem', 'config-secret.yaml']) {
    t.ok(existsSync(join(dir, file)), `${file} written`);
  }
  t.ok(await refused(port), 'and closed after it');
});
