// Where the upstream files are required (RUNTIME_AGENT_REQUIRE_UPSTREAM=1, set by .ci/run where
// ../shared/spec exists; or CI=true with ../shared/spec or COMPASS_SCHEMAS_DIR), a test file that
// uses them fails while one is missing instead of skipping; elsewhere it skips as before.
import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { upstreamRequired } from '../helpers/upstream-files.js';
import { TS_LOADER } from '../helpers/ts-loader.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('../fixtures/upstream-required-child.ts', import.meta.url));

t.test('when the upstream files are required', async (t) => {
  t.equal(upstreamRequired({ RUNTIME_AGENT_REQUIRE_UPSTREAM: '1' }, false), true, 'asked for: always');
  t.equal(upstreamRequired({ RUNTIME_AGENT_REQUIRE_UPSTREAM: '0', CI: 'true' }, true), false, 'turned off: never');
  t.equal(upstreamRequired({ CI: 'true' }, true), true, 'CI with ../shared/spec beside the clone');
  t.equal(upstreamRequired({ CI: 'true', COMPASS_SCHEMAS_DIR: '/schemas' }, false), true, 'CI naming a schema folder');
  t.equal(upstreamRequired({ CI: 'true' }, false), false, 'CI without ../shared at all: they skip, CI cannot turn red by that alone');
  t.equal(upstreamRequired({}, true), false, 'a developer machine: they skip');
});

async function child(env: Record<string, string>) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !['CI', 'RUNTIME_AGENT_REQUIRE_UPSTREAM', 'COMPASS_SCHEMAS_DIR'].includes(k) && !k.startsWith('TAP') && !k.startsWith('_TAPJS'),
    ),
  );
  return run(process.execPath, [TS_LOADER, CHILD], { env: { ...base, ...env }, timeout: 60_000 }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? '' }),
  );
}

t.test('required and missing: the test file fails, naming what is missing; not required: it skips', async (t) => {
  const missing = await child({ RUNTIME_AGENT_REQUIRE_UPSTREAM: '1', COMPASS_SCHEMAS_DIR: '/nonexistent/compass-schemas' });
  t.not(missing.code, 0, 'the file fails');
  t.match(
    missing.stdout,
    /not ok \d+ - the upstream files are required here .* missing: .*\/nonexistent\/compass-schemas\/connector\.graphql/,
  );
  const skipped = await child({ RUNTIME_AGENT_REQUIRE_UPSTREAM: '0', COMPASS_SCHEMAS_DIR: '/nonexistent/compass-schemas' });
  t.equal(skipped.code, 0, 'not required: it passes');
  t.match(skipped.stdout, /# SKIP upstream schemas absent/, 'by skipping');
});
