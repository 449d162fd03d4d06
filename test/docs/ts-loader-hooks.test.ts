// The tests' TypeScript loader (scripts/ts-loader-hooks.mjs) and how tap starts the test processes:
// an installed package's ES module is read by the loader itself, never handed down tap's hooks, and the
// test processes get the loaders of the plugins .taprc enables, no others.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
// @ts-expect-error -- a plain ES module of the scripts, without types
import { load } from '../../scripts/ts-loader-hooks.mjs';

type Load = (url: string, context: { format?: string }, nextLoad: (url: string, context: object) => unknown) => Promise<unknown>;
const loadHook = load as Load;

/** A nextLoad that notes each call and answers with a marker. */
function chain() {
  const calls: string[] = [];
  const next = (url: string) => {
    calls.push(url);
    return { handedDown: url };
  };
  return { calls, next };
}

/** xstate's ES module entry, as the resolver gives it to an importing module. */
const installed = import.meta.resolve('xstate');

t.test("an installed package's ES module is read by the loader, not handed down the hooks tap registered before it", async (t) => {
  t.match(installed, /\/node_modules\/xstate\//);
  const { calls, next } = chain();
  const answer = (await loadHook(installed, { format: 'module' }, next)) as { format: string; source: Buffer; shortCircuit: boolean };
  t.same(calls, [], 'nothing further down the chain is asked');
  t.equal(answer.format, 'module');
  t.equal(answer.shortCircuit, true);
  t.equal(Buffer.from(answer.source).toString('utf8'), readFileSync(new URL(installed), 'utf8'), "the module's own text");
});

t.test('everything else goes down the chain as before', async (t) => {
  const cases: Array<[string, string, { format?: string }]> = [
    ['a CommonJS module of a package (Node loads those itself)', installed, { format: 'commonjs' }],
    ['a JSON file of a package', installed.replace(/[^/]+$/, 'package.json'), { format: 'json' }],
    ['a URL with a query, as tap names a mocked module', `${installed}?tapmock=1`, { format: 'module' }],
    ['a URL with a fragment', `${installed}#x`, { format: 'module' }],
    ['a project module that is not TypeScript', pathToFileURL('scripts/bundle.mjs').href, { format: 'module' }],
    ['a built-in module', 'node:fs', { format: 'builtin' }],
    [
      'a module by another scheme that names node_modules',
      'data:text/javascript,export%20default%20%22/node_modules/%22',
      { format: 'module' },
    ],
  ];
  for (const [what, url, context] of cases) {
    const { calls, next } = chain();
    t.same(await loadHook(url, context, next), { handedDown: url }, what);
    t.same(calls, [url], `${what}: asked once`);
  }
});

t.test('a TypeScript source is transpiled by the loader, not handed down', async (t) => {
  const { calls, next } = chain();
  const url = pathToFileURL('src/go-duration.ts').href;
  const answer = (await loadHook(url, { format: 'module' }, next)) as { format: string; source: string; shortCircuit: boolean };
  t.same(calls, []);
  t.equal(answer.shortCircuit, true);
  t.notMatch(answer.source, /: number\b/, 'types stripped');
  t.match(answer.source, /sourceMappingURL=data:application\/json;base64,/, 'with its inline source map');
});

t.test("npm install builds tap with the plugins .taprc names, so that no test process gets a disabled plugin's loader", async (t) => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  t.match(pkg.scripts.prepare, /&& tap build$/, 'prepare: the build, then tap build');
  const taprc = readFileSync('.taprc', 'utf8');
  const disabled = [...taprc.matchAll(/^\s*- "!(@tapjs\/[a-z-]+)"/gm)].map((m) => m[1]);
  t.ok(disabled.includes('@tapjs/typescript'), ".taprc disables tap's ts-node plugin: scripts/ts-loader.mjs runs the TypeScript");
  // Under tap, this process was started with the loaders of tap's build: none of a disabled plugin.
  for (const plugin of disabled) {
    t.notOk(
      process.execArgv.some((arg) => arg.includes(`/${plugin}/`)),
      `this test process has no loader of ${plugin} (${process.execArgv.filter((a) => a.startsWith('--import')).length} imports)`,
    );
  }
});
