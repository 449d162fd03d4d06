// The shipped bundle, run as the Deployment runs it. It never reads Node's fetch globals (Headers,
// Response, fetch, …): the first read of any of them loads Node's internal undici, about 13 MB of
// resident memory for the life of the process (scripts/bundle.mjs, adapters/compass/fetch-headers.ts);
// a preloaded trap names any read. And it sets V8's heap growth (src/commands/heap-growth.ts).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  AGENT_BIN,
  createConfigSecret,
  deploymentNodeOptions,
  syncMetrics,
  waitFor,
  waitForConnectionState,
} from '../../bench/agent-process.js';
import { spawnInstalledAgent } from '../helpers/agent-install.js';
import { NOT_BUILT } from '../helpers/cli-process.js';

const TRAP = fileURLToPath(new URL('../fixtures/fetch-globals-trap.cjs', import.meta.url));
const READ = /FETCH GLOBAL READ (\w+)/;

t.test('the trap names a read of a fetch global', async (t) => {
  const run = spawnSync(process.execPath, ['--require', TRAP, '-e', 'new Headers({ a: "1" }).get("a")'], { encoding: 'utf8' });
  t.equal(run.status, 0);
  t.match(run.stderr, /FETCH GLOBAL READ Headers at /);
});

t.test('the agent runs to Synchronized and through its cycles without reading a fetch global', { skip: NOT_BUILT }, async (t) => {
  const { sims, agent } = await spawnInstalledAgent(t, {
    apps: 3,
    command: ['/usr/bin/env', `NODE_OPTIONS=${deploymentNodeOptions()} --require ${TRAP}`, process.execPath, AGENT_BIN, 'run'],
  });
  await createConfigSecret(sims);
  await waitForConnectionState(sims, agent, 'Synchronized', 60_000);
  const first = (await syncMetrics(agent)).count;
  // The next cycle too: a check and a synchronization over the kept Compass connections.
  await waitFor('two more synchronization cycles', async () => (await syncMetrics(agent)).count >= first + 2, 30_000, 200);
  t.equal(sims.kube.list('applicationconnector.kyma-project.io/v1alpha1', 'Application').length, 3, 'the applications are there');
  const reads = agent
    .output()
    .split('\n')
    .filter((line) => READ.test(line));
  t.same(reads, [], 'no fetch global was read');
  t.match(
    agent.output(),
    /"v8":"--optimize-for-size; --heap-growing-percent=20; --no-turbofan".*"msg":"starting runtime-agent"/,
    'and the size optimization, the heap growth and the optimizing compiler of src/commands/optimize-for-size.ts, heap-growth.ts and optimizing-compiler.ts were set',
  );
});
