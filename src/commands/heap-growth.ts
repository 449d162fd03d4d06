// How far V8 lets the agent's heap grow past what its last full collection kept, for `run`.
//
// V8 sets the next full collection at about 1.1 × the live heap (at least +8 MB) when the program is
// mostly idle, as the agent is. It also counts the memory of every Buffer allocated since the last
// full collection against that limit, and a TLS socket allocates one per record it reads: a quiet
// cycle at 10,000 applications receives about 20 MB of Director answers, which on a 56 MB heap set off
// one or two full collections of the whole heap in every cycle (on V8's worker threads: two thirds of
// the cycle's CPU). With 50 % the heap could grow by half before the next one: per quiet cycle at 10,000
// applications about 80 ms of CPU instead of 200-300 ms (`npm run bench sync`, docs/decisions/0012).
// Since the caches were made compact, and with optimize-for-size.ts, 20 % measured about the same CPU
// per quiet cycle as 50 % (a full collection in some cycles, of a live heap of about 47 MB at 10,000
// applications) and 15 MB less peak RSS (docs/decisions/0015). The idle agent, whose heap is small,
// stays at V8's minimum step.
import { givenOnCommandLine, setV8Flag } from './v8-flags.js';

export const HEAP_GROWING_PERCENT = 20;

/** The V8 flag to set, or undefined when node was started with its own (an operator's choice stands). */
export function heapGrowthFlag(execArgv: readonly string[]): string | undefined {
  return givenOnCommandLine(execArgv, ['heap-growing-percent']) ? undefined : `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/** Sets the flag for this process unless node was started with its own; returns what it set. */
export function tuneHeapGrowth(execArgv: readonly string[] = process.execArgv): string | undefined {
  return setV8Flag(heapGrowthFlag(execArgv));
}
