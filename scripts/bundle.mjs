// Bundles the compiled CLI (dist/src/cli.js, written by tsc) into dist/bundle/: what `bin/runtime-agent`
// and the container image run. One module graph instead of ~1,500 files roughly halves the agent's
// idle memory (most of it is @kubernetes/client-node's generated models, parsed once per module
// otherwise), and the image needs no node_modules. Commands are split into chunks of their own, so
// `run` never loads the simulators or the diagram renderer.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [`${root}dist/src/cli.js`],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  // Stack traces point at the TypeScript sources when run with --enable-source-maps.
  sourcemap: 'linked',
  // Some dependencies are CommonJS and call require() for Node built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
// The folder is self-contained: a package.json of its own makes Node read the chunks as ES modules
// wherever the folder is copied.
writeFileSync(`${outdir}/package.json`, `${JSON.stringify({ type: 'module' }, null, 2)}\n`);
