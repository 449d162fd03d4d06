// `npm run test:unit` and `npm run test:e2e` split the suite by folder, and `npm test` runs both: the
// unit folders are named once in each script, as what test:unit runs and what test:e2e leaves out, so
// that together they are every test file (and a new folder runs with the end-to-end tests).
import t from 'tap';
import { readFileSync } from 'node:fs';

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
