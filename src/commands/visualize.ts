// `runtime-agent visualize [--format mermaid|dot|svg|html] [--log FILE]`: the agent state machine as
// a diagram, generated from the machine; with --log, the states and transitions a recorded run visited.
import { readFileSync } from 'node:fs';
import { describeMachine, toDot, toMermaid, visitedBy, type Visited } from '../agent/machine-diagram.js';
import { parseEventLog } from '../event-log.js';
import { stateInThisMachine } from '../event-replay.js';
import { errorMessage } from '../../adapters/unknown-values.js';

const FORMATS = ['mermaid', 'dot', 'svg', 'html'] as const;
type Format = (typeof FORMATS)[number];
export const usage = `usage: runtime-agent visualize [--format mermaid|dot|svg|html] [--log FILE]

Prints the agent's state machine as a diagram, generated from the machine itself (no network).

options:
  --format F   mermaid (default; stateDiagram-v2 text), dot (Graphviz), svg, or html (a page with the svg)
  --log FILE   highlight the states and transitions a recorded event log visited (APP_EVENT_LOG_FILE)
`;
const USAGE = usage;

export async function renderSvg(dot: string): Promise<string> {
  const { instance } = await import('@viz-js/viz');
  const viz = await instance();
  return viz.renderString(dot, { format: 'svg', engine: 'dot' });
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export async function renderDiagram(format: Format, visited?: Visited): Promise<string> {
  const diagram = describeMachine();
  if (format === 'mermaid') return toMermaid(diagram, visited);
  const dot = toDot(diagram, visited);
  if (format === 'dot') return dot;
  const svg = await renderSvg(dot);
  if (format === 'svg') return svg;
  const title = visited ? 'runtime-agent state machine (highlighted: visited by the event log)' : 'runtime-agent state machine';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:Helvetica,Arial,sans-serif;margin:1.5rem}svg{max-width:100%;height:auto}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${svg.replace(/^<\?xml[^>]*>\s*/, '').replace(/<!DOCTYPE[^>]*>\s*/, '')}
</body></html>
`;
}

export async function run(
  args: string[],
  out: (text: string) => void = (t) => process.stdout.write(t),
  err: (text: string) => void = (t) => process.stderr.write(t),
): Promise<number> {
  let format: Format = 'mermaid';
  let logFile: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const valueOf = () => inline ?? args[++i];
    if (flag === '--format') {
      const value = valueOf();
      if (!isFormat(value)) {
        err(`visualize: unknown format "${value ?? ''}"; use one of ${FORMATS.join(', ')}\n${USAGE}`);
        return 2;
      }
      format = value;
    } else if (flag === '--log') {
      logFile = valueOf();
      if (!logFile) {
        err(`visualize: --log needs a file\n${USAGE}`);
        return 2;
      }
    } else if (flag === '--help' || flag === '-h') {
      out(USAGE);
      return 0;
    } else {
      err(`visualize: unknown argument "${arg}"\n${USAGE}`);
      return 2;
    }
  }
  let visited: Visited | undefined;
  if (logFile) {
    try {
      const { segments } = parseEventLog(readFileSync(logFile, 'utf8'));
      // States recorded by an older machine, as this one names them.
      const steps = segments.flatMap((s) =>
        s.entries.map((e) => ({ eventType: e.event.type, state: stateInThisMachine(s.header.machine, e.state) })),
      );
      visited = visitedBy(describeMachine(), steps);
    } catch (error) {
      err(`visualize: cannot read the event log ${logFile}: ${errorMessage(error)}\n`);
      return 2;
    }
  }
  out(await renderDiagram(format, visited));
  return 0;
}

function isFormat(value: string | undefined): value is Format {
  return FORMATS.some((format) => format === value);
}
