// `npm run bench` runs each benchmark in a node process of its own (bench/run.ts, `--one NAME FILE`)
// and gathers the figures each writes to its file into one summary.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../../dist/bench/run.js', import.meta.url));

// The simulator's benchmark at a tenth of its size: what is checked here is the harness, not the figures.
const SMALL = { ...process.env, BENCH_KUBE_SIM_OBJECTS: '1000' };

t.test("a benchmark's figures come back from its own process into the summary", async (t) => {
  const run = spawnSync(process.execPath, [RUN, 'kube-sim'], { encoding: 'utf8', timeout: 120_000, env: SMALL });
  t.equal(run.status, 0, run.stderr);
  const summary = run.stdout.split('\nSummary (load average at end: ')[1];
  t.ok(summary, 'the summary is printed');
  for (const name of [
    'creates/s (one keep-alive client, sequential)',
    'gets/s',
    'LIST of 1,000 objects',
    'watch delivery latency, median',
  ]) {
    const row = summary.split('\n').find((line) => line.startsWith('kube-sim') && line.includes(name));
    t.ok(row, `the summary has ${name}`);
    t.match(row ?? '', /\s[\d,.]+ (\/s|ms)(\s|$)/, `${name} has a measured value`);
  }
  t.notMatch(run.stdout, /FAILED|ERROR/);
});

t.test('--one takes one known benchmark and the file for its figures', async (t) => {
  for (const args of [['--one', 'bogus', 'f.json'], ['--one'], ['--one', 'kube-sim'], ['--one', 'kube-sim', 'f.json', 'extra']]) {
    const run = spawnSync(process.execPath, [RUN, ...args], { encoding: 'utf8' });
    t.equal(run.status, 2, args.join(' '));
    t.match(run.stderr, /--one takes the name of one benchmark \(kube-sim, connection, sync, growth\) and the file for its figures/);
  }
});

t.test('a BENCH_KUBE_SIM_OBJECTS that is not a whole number of at least 2 fails the benchmark, saying why', async (t) => {
  for (const value of ['1e4', '1']) {
    const run = spawnSync(process.execPath, [RUN, 'kube-sim'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, BENCH_KUBE_SIM_OBJECTS: value },
    });
    t.equal(run.status, 0, `${value}: the harness goes on to its summary`);
    t.match(
      run.stdout,
      `kube-sim FAILED: BENCH_KUBE_SIM_OBJECTS must be a whole number of at least 2, not "${value}"`,
      `${value}: says why`,
    );
    t.notMatch(run.stdout, /^kube-sim +creates\/s/m, `${value}: no figure measured`);
  }
});
