// Bundles the compiled CLI (dist/src/cli.js, written by tsc) into dist/bundle/: what `bin/runtime-agent`
// and the container image run. One module graph instead of ~1,500 files roughly halves the agent's
// idle memory, and the image needs no node_modules.
//
// Two builds. `run`, the agent itself, is a bundle of its own (dist/bundle/run.js, no chunk shared
// with other commands): exactly the code the agent runs, tree-shaken for it alone. The other commands
// (demo, sim, visualize, replay, revoke) are split into chunks of their own under cli.js, which loads
// run.js for `run`. Every byte of code the agent loads stays resident (source, bytecode, shapes), so
// the run bundle leaves out what it never calls (see the plugins below): the simulators, the schema
// and diagram code of visualize, client-node's generated API models, node-fetch and its URL polyfill.
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;

/**
 * @kubernetes/client-node declares no `sideEffects`, so a bundler keeps every module its index
 * re-exports (the generated models and APIs of all Kubernetes groups, about half of the agent's idle
 * heap) although the agent uses KubeConfig alone: its modules have none, they only define classes.
 */
const clientNodeWithoutSideEffects = {
  name: 'client-node-without-side-effects',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData?.resolving) return undefined;
      // Its modules import each other by relative paths with their extension (./config.js), about 2,600
      // such imports in its files: such a path is the file, taken as it is. Handing each back to esbuild's
      // resolver (b.resolve) made the two builds take 21 s instead of 5, for the same output.
      if (args.importer.includes('/@kubernetes/client-node/dist/') && /^\.\.?\/.*\.js$/.test(args.path)) {
        const path = resolve(args.resolveDir, args.path);
        if (existsSync(path)) return { path, sideEffects: false };
      }
      if (!args.path.startsWith('@kubernetes/client-node') && !args.importer.includes('/@kubernetes/client-node/')) return undefined;
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: { resolving: true },
      });
      return resolved.path.includes('/@kubernetes/client-node/dist/') ? { ...resolved, sideEffects: false } : resolved;
    });
  },
};

/**
 * The agent's Headers (adapters/compass/fetch-headers.ts) wherever bundled code names the global
 * `Headers` (graphql-request builds every request's headers with it): the first touch of Node's
 * global loads Node's internal undici, about 13 MB of resident memory for a class. Only bundled
 * modules see the replacement; the global stays Node's.
 */
const fetchHeaders = `${root}dist/adapters/compass/fetch-headers.js`;
const globalsFile = `${root}dist/bundle-globals.js`;
writeFileSync(globalsFile, `export { FetchHeaders as Headers } from ${JSON.stringify(fetchHeaders)};\n`);

/**
 * node-fetch 2 reaches the agent only through client-node paths it never takes (makeApiClient,
 * applyToFetchOptions, Watch: the agent sends requests and watches through adapters/kube/kube-rest.ts).
 * Its URL polyfill (whatwg-url, tr46 with its Unicode tables) alone costs megabytes of heap, so it is
 * replaced by the agent's Headers and a fetch that says why it is absent, should a path ever call it.
 */
const nodeFetchReplaced = {
  name: 'node-fetch-replaced',
  setup(b) {
    b.onResolve({ filter: /^node-fetch$/ }, () => ({ path: 'node-fetch', namespace: 'replaced' }));
    b.onLoad({ filter: /.*/, namespace: 'replaced' }, () => ({
      contents: [
        `export { FetchHeaders as Headers } from ${JSON.stringify(fetchHeaders)};`,
        // Re-exported by client-node's index; never thrown, since nothing fetches through node-fetch.
        'export class FetchError extends Error {}',
        'export class AbortError extends Error {}',
        "export default function fetch() { throw new Error('node-fetch is not part of the runtime-agent bundle (scripts/bundle.mjs): use adapters/kube/kube-rest.ts'); }",
      ].join('\n'),
      loader: 'js',
      resolveDir: root,
    }));
  },
};

/**
 * Packages whose `node` export condition is CommonJS, which cannot be tree-shaken: their ES module
 * builds instead (rxjs: all of it otherwise; graphql: graphql-request needs only the parser and printer).
 */
const requireHere = createRequire(import.meta.url);
const esModuleBuilds = {
  name: 'es-module-builds',
  setup(b) {
    // rxjs's export map offers its ES build only under `es2015`, after `node`.
    const rxjs = requireHere.resolve('rxjs').replace(/[\\/]dist[\\/]cjs[\\/]index\.js$/, '/dist/esm/index.js');
    b.onResolve({ filter: /^rxjs$/ }, () => ({ path: rxjs }));
    b.onResolve({ filter: /^graphql(\/[^.]*(\.js)?)?$/ }, (args) => {
      const sub = args.path === 'graphql' ? 'index' : args.path.slice('graphql/'.length).replace(/\.js$/, '');
      return b.resolve(`graphql/${sub}.mjs`, { kind: args.kind, resolveDir: args.resolveDir });
    });
  },
};

/** cli.js loads the agent's own bundle for `run` instead of a chunk of its own build. */
const runBundleForCli = {
  name: 'run-bundle-for-cli',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/run\.js$/ }, (args) =>
      args.importer.endsWith('/src/cli.js') ? { path: './run.js', external: true } : undefined,
    );
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // Stack traces point at the TypeScript sources when run with --enable-source-maps.
  sourcemap: 'linked',
  // Some dependencies are CommonJS and call require() for Node built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
  inject: [globalsFile],
  plugins: [clientNodeWithoutSideEffects, nodeFetchReplaced, esModuleBuilds],
};

rmSync(outdir, { recursive: true, force: true });
// Split too, but only where run itself imports lazily (the diagram renderer of /debug, the Stately inspector).
const agent = await build({ ...common, entryPoints: { run: `${root}dist/src/commands/run.js` }, outdir, splitting: true, metafile: true });
await build({
  ...common,
  entryPoints: { cli: `${root}dist/src/cli.js` },
  outdir,
  splitting: true,
  plugins: [runBundleForCli, ...common.plugins],
});
// V8 holds a script's source as long as the script lives, one byte per character if every character
// is Latin-1, two otherwise: one µ in a regular expression (esbuild escapes strings, not regex
// literals) doubled the agent's resident source. Keep the agent's code ASCII.
for (const file of Object.keys(agent.metafile.outputs).filter((name) => name.endsWith('.js'))) {
  const text = readFileSync(file, 'utf8');
  // eslint-disable-next-line no-control-regex -- the first character outside ASCII (the range includes the control characters)
  const at = text.search(/[^\x00-\x7f]/);
  if (at >= 0)
    throw new Error(
      `${file} holds a non-ASCII character (${JSON.stringify(text.slice(Math.max(0, at - 60), at + 20))}): write it as an escape in the source`,
    );
}
// The folder is self-contained: a package.json of its own makes Node read the chunks as ES modules
// wherever the folder is copied.
writeFileSync(`${outdir}/package.json`, `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
