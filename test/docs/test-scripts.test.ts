// `npm run test:unit` and `npm run test:e2e` split the suite by folder, and `npm test` runs both: the
// unit folders are named once in each script, as what test:unit runs and what test:e2e leaves out, so
// that together they are every test file (and a new folder runs with the end-to-end tests).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };

t.test('test:unit and test:e2e name the same unit folders; npm test runs all tests once, with the coverage floor', async (t) => {
  const folders = (script: string) => /test\/\{([^}]+)\}/.exec(script)?.[1]?.split(',').sort();
  const unit = folders(pkg.scripts['test:unit']);
  t.ok(unit && unit.length > 0, 'test:unit names its folders');
  t.match(pkg.scripts['test:unit'], /\/\*\*\/\*\.test\.ts'/, 'test files only (the folders also hold helpers)');
  t.same(folders(pkg.scripts['test:e2e']), unit, 'test:e2e leaves out exactly those');
  t.match(pkg.scripts['test:e2e'], /--exclude=/);
  t.match(pkg.scripts.test, /&& tap && node scripts\/check-coverage\.mjs$/, 'npm test: one tap run over every test file, then the floors');
});

t.test('.ci/run repeats each failed assertion at the end, with its subtests and diagnostics, and no passing one', async (t) => {
  // tap 21's output shape: nested "# Subtest:" headers, each subtest closed by its own (not) ok line at the header's indent.
  const tapOutput = [
    '# Subtest: test/e2e/a.test.ts',
    '    # Subtest: outer',
    '        # Subtest: inner',
    '            ok 1 - fine',
    '            not ok 2 - one is two',
    '              ---',
    '              diff: |',
    '                -2',
    '                +1',
    '              ...',
    '            1..2',
    '        not ok 1 - inner # time=3ms',
    '        # Subtest: passes',
    '            ok 1 - yes',
    '        ok 2 - passes # time=1ms',
    '        not ok 3 - thrown at the outer level',
    '        1..3',
    '    not ok 1 - outer # time=5ms',
    '    1..1',
    'not ok 1 - test/e2e/a.test.ts # time=9ms',
    '# Subtest: test/b.test.ts',
    '    ok 1 - b passes',
    'ok 2 - test/b.test.ts # time=1ms',
    '# Subtest: test/c.test.ts',
    '    ok 1 - c passes, then the file crashes',
    'not ok 3 - test/c.test.ts # time=2ms',
    '  ---',
    '  exitCode: 1',
    '  ...',
    '',
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'failed-assertions-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'tap.txt');
  writeFileSync(log, tapOutput);
  const printed = execFileSync(process.execPath, ['scripts/failed-assertions.mjs', log], { encoding: 'utf8' });
  t.same(
    printed.split('\n').filter((line) => line.startsWith('not ok')),
    [
      'not ok: test/e2e/a.test.ts > outer > inner > one is two',
      'not ok: test/e2e/a.test.ts > outer > thrown at the outer level',
      'not ok: test/c.test.ts # time=2ms',
    ],
    'the failed assertions, each with its path; a file that failed without one; no summary of a subtest whose failures are there, nothing that passed',
  );
  t.match(printed, /exitCode: 1/, 'the crashed file with its diagnostics');
  t.match(printed, /diff: \|\n\s+-2\n\s+\+1/, 'with its diagnostics');
  writeFileSync(log, 'ok 1 - test/b.test.ts\n');
  t.match(execFileSync(process.execPath, ['scripts/failed-assertions.mjs', log], { encoding: 'utf8' }), /no failed assertion/);
  t.match(
    readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8'),
    /node scripts\/failed-assertions\.mjs "\$log"/,
    '.ci/run calls it',
  );
});
