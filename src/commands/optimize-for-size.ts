// `run` tells V8 to favour memory over speed (`--optimize-for-size`): among other things its memory
// reducer then hands back more of the heap once a burst is over, and the heap takes less room beyond
// what it holds. Measured (`npm run bench sync`, docs/decisions/0015-optimize-for-size.md), with the heap
// growth of heap-growth.ts: peak RSS over a 10,000-application initial sync and ten quiet cycles about
// 120 MB instead of 142, resident memory after them about 115 MB instead of 139, the same idle figures,
// about the same CPU per quiet cycle. Node does not take the flag in NODE_OPTIONS; node started with its
// own setting for it keeps that.
import { givenOnCommandLine, setV8Flag } from './v8-flags.js';

export const OPTIMIZE_FOR_SIZE = '--optimize-for-size';

/** The V8 flag to set, or undefined when node was started with its own setting for it. */
export function optimizeForSizeFlag(execArgv: readonly string[]): string | undefined {
  return givenOnCommandLine(execArgv, ['optimize-for-size']) ? undefined : OPTIMIZE_FOR_SIZE;
}

/** Makes V8 favour memory for this process unless node was started with a setting for it; returns what it set. */
export function optimizeForSize(execArgv: readonly string[] = process.execArgv): string | undefined {
  return setV8Flag(optimizeForSizeFlag(execArgv));
}
