// `run` turns V8's optimizing compiler (TurboFan) off at start: the agent's JavaScript then runs in
// the interpreter and the baseline compiler (Sparkplug), and no optimizing compilation runs on V8's worker
// threads. Measured (`npm run bench`, docs/decisions/0014-no-optimizing-compiler.md): idle RSS about
// 59-61 MB instead of 66-73, peak RSS at 10,000 applications about 147 MB instead of 160-195, about the same CPU
// per quiet cycle; what it costs is the initial sync of a large tenant, about twice as long (10,000
// applications: 23-27 s instead of 13-17). The agent's work is I/O, hashing and JSON, done in native code.
// It also leaves the V8 compiler that most V8 security bugs are found in out of a process that reads
// untrusted Director data. Node does not take the flag in NODE_OPTIONS; node started with any setting
// of its own for the optimizer (--turbofan, --opt, --max-opt, --jitless) keeps it.
import { givenOnCommandLine, setV8Flag } from './v8-flags.js';

export const OPTIMIZER_OFF = '--no-turbofan';

/** The V8 flag to set, or undefined when node was started with its own optimizer setting. */
export function optimizingCompilerFlag(execArgv: readonly string[]): string | undefined {
  return givenOnCommandLine(execArgv, ['turbofan', 'opt', 'max-opt', 'jitless']) ? undefined : OPTIMIZER_OFF;
}

/** Turns the optimizing compiler off for this process unless node was started with a setting for it; returns what it set. */
export function turnOffOptimizingCompiler(execArgv: readonly string[] = process.execArgv): string | undefined {
  return setV8Flag(optimizingCompilerFlag(execArgv));
}
