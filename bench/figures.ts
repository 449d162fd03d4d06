// What a benchmark reports: named figures, some with a target from the project's issues. Printing
// and the MET/MISSED verdict live here so every benchmark reads the same way.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

export interface Target {
  /** `<` and `<=` for "at most", `>=` for "at least". */
  op: '<' | '<=' | '>=';
  value: number;
}

export interface Figure {
  bench: string;
  name: string;
  value: number;
  unit: string;
  target?: Target;
  /** How it was measured, or what else the reader should know. */
  note?: string;
}

export function figure(bench: string, name: string, value: number, unit: string, extra: { target?: Target; note?: string } = {}): Figure {
  return { bench, name, value, unit, ...extra };
}

export function meets(f: Figure): boolean | undefined {
  if (!f.target || !Number.isFinite(f.value)) return f.target ? false : undefined;
  const { op, value } = f.target;
  return op === '<' ? f.value < value : op === '<=' ? f.value <= value : f.value >= value;
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit ? `${text} ${unit}` : text;
}

export function formatTarget(target: Target | undefined, unit: string): string {
  return target ? `${target.op} ${formatValue(target.value, unit)}` : '';
}

/** One readable line, printed as soon as the figure is known. */
export function printFigure(f: Figure): void {
  const verdict = meets(f);
  const tail = [f.target ? `target ${formatTarget(f.target, f.unit)}: ${verdict ? 'MET' : 'MISSED'}` : '', f.note ?? '']
    .filter(Boolean)
    .join('; ');
  console.log(`  ${f.bench} ${f.name}: ${formatValue(f.value, f.unit)}${tail ? `  (${tail})` : ''}`);
}

/** The final table: every figure, its target and the verdict. */
export function summaryTable(figures: Figure[], failures: Array<{ bench: string; error: string }>): string {
  const rows = figures.map((f) => {
    const verdict = meets(f);
    return [
      f.bench,
      f.name,
      formatValue(f.value, f.unit),
      formatTarget(f.target, f.unit),
      verdict === undefined ? '' : verdict ? 'MET' : 'MISSED',
    ];
  });
  for (const failure of failures) rows.push([failure.bench, '(benchmark failed)', failure.error.split('\n')[0].slice(0, 60), '', 'ERROR']);
  const header = ['benchmark', 'figure', 'value', 'target', 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The 1, 5 and 15 minute load averages (the benchmarks share the machine; the reader should know how busy it was). */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ');
  } catch {
    return loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  }
}
