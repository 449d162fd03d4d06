// The V8 settings `run` makes for itself at start, in one list: `run` applies them, and the benches'
// floor clients (bench/floor-client.ts) start a bare node with the same flags. Each is left to the
// operator when node was started with a setting of its own for it.
import { heapGrowthFlag, tuneHeapGrowth } from './heap-growth.js';
import { optimizeForSize, optimizeForSizeFlag } from './optimize-for-size.js';
import { optimizingCompilerFlag, turnOffOptimizingCompiler } from './optimizing-compiler.js';

interface RunV8Setting {
  /** The flag for a node started with `execArgv`, or undefined when node has its own setting for it. */
  flag(execArgv: readonly string[]): string | undefined;
  /** Sets it for this process; returns the flag set, or undefined. */
  apply(): string | undefined;
  /** What `run` reports when node was started with its own setting. */
  asStarted: string;
}

const RUN_V8_SETTINGS: readonly RunV8Setting[] = [
  { flag: optimizeForSizeFlag, apply: optimizeForSize, asStarted: 'size optimization as node was started' },
  { flag: heapGrowthFlag, apply: tuneHeapGrowth, asStarted: 'heap growth as node was started' },
  { flag: optimizingCompilerFlag, apply: turnOffOptimizingCompiler, asStarted: 'optimizing compiler as node was started' },
];

/** Applies every setting to this process; returns, per setting, the flag set or why none was. */
export function applyRunV8Settings(): string[] {
  return RUN_V8_SETTINGS.map((setting) => setting.apply() ?? setting.asStarted);
}

/** The flags `run` sets on a node started with `execArgv`. */
export function runV8Flags(execArgv: readonly string[]): string[] {
  return RUN_V8_SETTINGS.map((setting) => setting.flag(execArgv)).filter((flag) => flag !== undefined);
}
