// The module hooks of ts-loader.mjs, which run on Node's loader thread.
//
// Each module is transpiled by the TypeScript compiler, as `npm run build` compiles dist/: a function
// then starts at the same place in both source maps, and coverage from a child process running dist/
// adds to the tests' own instead of counting each function twice. The compiler is slow to load and to
// run, so its output is kept on disk under the hash of the path and the source: a file is transpiled
// once until it changes, not once per test process. Old entries stay until node_modules is reinstalled.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** `./x.js` written in a TypeScript module names `./x.ts` (module NodeNext). */
export async function resolve(specifier, context, nextResolve) {
  const { parentURL } = context;
  if (parentURL?.endsWith('.ts') && /^\.{1,2}\//.test(specifier) && specifier.endsWith('.js')) {
    const candidate = new URL(`${specifier.slice(0, -3)}.ts`, parentURL);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

/**
 * An ES module of an installed package, by a plain file URL (no query or fragment: tap's mocks name
 * theirs otherwise), whose format the resolver already decided.
 */
const installedModule = (url, context) =>
  context.format === 'module' && url.startsWith('file:') && url.includes('/node_modules/') && !/[?#]/.test(url);

export async function load(url, context, nextLoad) {
  // An installed package's module is read here and not handed down the chain: the hooks tap registers
  // before this one (its process-info recorder and its mock service) cost every module a message to the
  // main thread, which there splits the module's whole text and looks for its source map, to record files
  // tap neither covers nor reports (it leaves node_modules out of coverage). @kubernetes/client-node alone
  // is 826 modules: loading an end-to-end test's imports took 4.5–5.3 s with them and takes 2.2 s
  // without, as with no hooks but these. The project's own modules never went down the chain either.
  if (installedModule(url, context)) return { format: 'module', source: readFileSync(fileURLToPath(url)), shortCircuit: true };
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const path = fileURLToPath(url);
  return { format: 'module', source: await transpiled(path, readFileSync(path, 'utf8')), shortCircuit: true };
}

let typescript;
/** Where build tools keep their caches: it goes with node_modules. */
const cacheDir = fileURLToPath(new URL('../node_modules/.cache/ts-loader/', import.meta.url));
/** tsconfig.json's target; ESM, one file at a time (transpileModule takes the values by name, as tsconfig.json does). */
const compilerOptions = { target: 'es2022', module: 'esnext', inlineSourceMap: true, inlineSources: true, isolatedModules: true };
/** What the output depends on besides the path and the source: the compiler's release and its options. */
const CACHE_VERSION = JSON.stringify([createRequire(import.meta.url)('typescript/package.json').version, compilerOptions]);

async function transpiled(path, source) {
  const key = createHash('sha256').update(CACHE_VERSION).update(path).update('\0').update(source).digest('hex');
  const cached = join(cacheDir, `${key}.js`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // not cached yet
  }
  typescript ??= (await import('typescript')).default;
  const { outputText } = typescript.transpileModule(source, { fileName: path, compilerOptions });
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(partial, outputText);
  renameSync(partial, cached);
  return outputText;
}
