// `runtime-agent replay FILE`: replays a recorded event log through the pure machine and reports
// whether it reproduces what the agent did (the states, the projected status, the requested effects),
// segment by segment (one per agent start or rotation). Exit 0: reproduced; 1: divergence; 2: unusable
// file or segment. Torn last lines and gaps in seq are warnings.
import { readFileSync } from 'node:fs';
import { EventLogFormatError } from '../event-log.js';
import { replayEventLog, type ReplayDivergence, type SegmentReport } from '../event-replay.js';
import { errorMessage, errorCode } from '../../adapters/unknown-values.js';

export const usage = `usage: runtime-agent replay FILE

Replays an event log the agent wrote (APP_EVENT_LOG_FILE) through the state machine without running
any effect, and checks that every event leads to the recorded state, the recorded status (a digest
of the CompassConnection the agent projected) and the recorded effects (the effects it started and
the wake-ups it asked for). Logs of versions 1 and 2 recorded states only. A file holds one segment
per agent start and per rotation; each is replayed on its own. A torn last line (a crash while
writing) is skipped and a gap in seq is reported, both as warnings on stderr.

exit codes: 0 every segment reproduces, 1 a segment diverges (its first divergence is shown),
            2 the file is missing or not an event log, or a segment cannot be replayed
`;

const WHAT_DIFFERS: Record<ReplayDivergence['aspect'], string> = {
  state: 'the state differs',
  status: 'the projected CompassConnection differs',
  effects: 'the requested effects differ',
};

/** The lines that show a divergence: what was recorded, what the replay did. */
function divergenceLines(d: ReplayDivergence): string[] {
  if (d.aspect === 'status') {
    return [
      `  recorded status digest: ${JSON.stringify(d.recorded)}`,
      `  replayed status digest: ${JSON.stringify(d.replayed)}, of: ${JSON.stringify(d.replayedStatus ?? null)}`,
    ];
  }
  return [`  recorded ${d.aspect}: ${JSON.stringify(d.recorded)}`, `  replayed ${d.aspect}: ${JSON.stringify(d.replayed)}`];
}

const BEGINS: Record<SegmentReport['startsWith'], string> = {
  start: 'an agent start',
  checkpoint: 'a rotation checkpoint',
  cut: 'neither a start nor a checkpoint',
};

export async function run(
  args: string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
  err: (text: string) => void = (t) => process.stderr.write(t),
): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h') {
    out(usage);
    return 0;
  }
  if (args.length !== 1 || args[0].startsWith('-')) {
    err(usage);
    return 2;
  }
  const file = args[0];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    err(`replay: cannot read ${file}: ${errorCode(error) ?? errorMessage(error)}\n`);
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
  for (const warning of report.warnings) err(`replay: warning: ${warning}\n`);
  if (report.refused.length > 0) {
    for (const segment of report.refused)
      err(
        `replay: segment ${segment.index} of ${file} (lines ${segment.firstLine}-${segment.lastLine}) cannot be replayed: ${segment.refused}\n`,
      );
    return 2;
  }
  const versionOf = (machine: string) =>
    machine === report.expectedMachine ? '' : ` (recorded by ${machine}, replayed with ${report.expectedMachine})`;
  const stateOf = (segment: SegmentReport) =>
    `final state: ${segment.final ? JSON.stringify(segment.final.value) : 'none'}, connectionState: ${segment.final?.context.connectionState ?? 'none'}`;
  const several = report.segments.length > 1;
  const lines: string[] = [];
  const diverged = report.segments.filter((s) => s.divergence);
  if (diverged.length > 0) {
    const d = report.divergence!;
    const where = several ? ` in segment ${d.segment}` : '';
    lines.push(
      `replay: ${file} diverges${where} at seq ${d.seq} (${d.eventType}): ${WHAT_DIFFERS[d.aspect]}${versionOf(report.segments[d.segment - 1].machine)}`,
      ...divergenceLines(d),
      `  ${report.segments[d.segment - 1].reproduced} of ${report.segments[d.segment - 1].events} events of that segment reproduced before it`,
    );
  } else {
    const distinct = new Set(report.states.map((s) => JSON.stringify(s))).size;
    const compared = new Set(report.segments.flatMap((s) => s.compares));
    const what = compared.has('status')
      ? report.segments.every((s) => s.compares.includes('status'))
        ? 'states, status and effects'
        : 'states, and status and effects where recorded'
      : 'states only: the log records no status or effects';
    lines.push(
      `replay: ${file} reproduces: ${report.events} events${several ? ` in ${report.segments.length} segments` : ''}, ${distinct} distinct states (${what})${several ? '' : versionOf(report.machine)}`,
    );
  }
  if (several) {
    for (const segment of report.segments) {
      const outcome = segment.divergence
        ? `diverges at seq ${segment.divergence.seq} (${segment.divergence.eventType}): ${WHAT_DIFFERS[segment.divergence.aspect]}, after ${segment.reproduced} of ${segment.events} events`
        : `reproduces ${segment.events} events, ${stateOf(segment)}`;
      lines.push(
        `  segment ${segment.index}, lines ${segment.firstLine}-${segment.lastLine}, begins with ${BEGINS[segment.startsWith]}${versionOf(segment.machine)}: ${outcome}`,
      );
    }
  }
  if (diverged.length === 0) lines.push(`  ${stateOf(report.segments.at(-1)!)}`);
  if (report.warnings.length > 0) lines.push(`  ${report.warnings.length} warning(s) on stderr`);
  out(lines.join('\n') + '\n');
  return diverged.length > 0 ? 1 : 0;
}
