// `runtime-agent replay FILE`: replays a recorded event log through the pure machine and reports
// whether it reproduces the recorded states. Exit 0: reproduced; 1: divergence; 2: unusable file.
import { readFileSync } from 'node:fs';
import { EventLogFormatError } from '../event-log.js';
import { replayEventLog } from '../event-replay.js';

const USAGE = 'usage: runtime-agent replay FILE\n';

export async function run(args: string[], out: (text: string) => void = (t) => process.stdout.write(t), err: (text: string) => void = (t) => process.stderr.write(t)): Promise<number> {
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    if (args[0] === '--help' || args[0] === '-h') {
      out(USAGE);
      return 0;
    }
    err(USAGE);
    return 2;
  }
  const file = args[0]!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    err(`replay: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return 2;
  }
  let report;
  try {
    report = replayEventLog(text);
  } catch (error) {
    if (error instanceof EventLogFormatError) {
      err(`replay: ${file} is not a usable event log: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const versionNote = report.machine === report.expectedMachine ? '' : ` (recorded by ${report.machine}, replayed with ${report.expectedMachine})`;
  if (report.divergence) {
    const d = report.divergence;
    out(
      `replay: ${file} diverges at seq ${d.seq} (${d.eventType})${versionNote}\n` +
        `  recorded state: ${JSON.stringify(d.recorded)}\n` +
        `  replayed state: ${JSON.stringify(d.replayed)}\n` +
        `  ${report.reproduced} of ${report.events} events reproduced before it\n`,
    );
    return 1;
  }
  const final = report.final ? JSON.stringify(report.final.value) : 'none';
  out(
    `replay: ${file} reproduces: ${report.events} events, ${new Set(report.states.map((s) => JSON.stringify(s))).size} distinct states${versionNote}\n` +
      `  final state: ${final}, connectionState: ${report.final?.context.connectionState ?? 'none'}\n`,
  );
  return 0;
}
