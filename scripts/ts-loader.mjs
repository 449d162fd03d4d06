// Runs the TypeScript sources on Node 20 without a build: `node --import=./scripts/ts-loader.mjs file.ts`.
// The tests run through it (.taprc), and so do the processes they start from the sources.
//
// Like tap's default ts-node plugin it only strips types (`npm run typecheck` checks them), with the
// same compiler and an inline source map, so coverage and stack traces point at the TypeScript. ts-node
// transpiled every module again in every test process: about 5.5 s to load an end-to-end test's
// imports, most of the suite's time. This keeps the output on disk (ts-loader-hooks.mjs): about 2 s.
// tsx and esbuild are as fast, but their source maps place functions elsewhere than tsc's do, so the
// coverage of a child process running dist/ (the bench harness) would count each function twice.
import { register } from 'node:module';

register('./ts-loader-hooks.mjs', import.meta.url);
