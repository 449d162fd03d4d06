// Go's time.ParseDuration syntax ("20s", "1m30s", "1.5h", "300ms"), which the reference agent's
// environment variables use: existing Deployments keep working unchanged.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds for a Go duration string; throws a message that quotes the input on bad syntax. */
export function parseGoDuration(text: string): number {
  const input = text.trim();
  if (input === '0') return 0;
  let rest = input;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '') throw new Error(`invalid duration "${text}"`);
  let total = 0;
  // µ (U+00B5) and μ (U+03BC) written as escapes: a non-Latin-1 character in the source would make V8
  // hold the agent's whole bundle as a two-byte string (scripts/bundle.mjs checks for it).
  const part = /^(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/;
  while (rest !== '') {
    const match = part.exec(rest);
    if (!match) throw new Error(`invalid duration "${text}": expected a number followed by a unit (ns, us, ms, s, m, h)`);
    total += Number(match[1]) * UNIT_MS[match[2]];
    rest = rest.slice(match[0].length);
  }
  return sign * total;
}
