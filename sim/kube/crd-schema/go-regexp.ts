// Patterns in CRD schemas are Go (RE2) regular expressions. Most of them mean the same in
// JavaScript; this translates the RE2-only spellings (leading flags, \A, \z, POSIX classes) and
// refuses what RE2 refuses (look-around, back-references), with RE2's wording.

export type CompiledPattern = { ok: true; re: RegExp } | { ok: false; error: string };

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-/:-@[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const cache = new Map<string, CompiledPattern>();

export function compileGoPattern(pattern: string): CompiledPattern {
  let compiled = cache.get(pattern);
  if (!compiled) {
    compiled = compile(pattern);
    cache.set(pattern, compiled);
  }
  return compiled;
}

function compile(pattern: string): CompiledPattern {
  const unsupported = /\(\?<?[=!]|\\[1-9]/.exec(pattern);
  if (unsupported) {
    const kind = unsupported[0].startsWith('\\') ? 'invalid escape sequence' : 'invalid or unsupported Perl syntax';
    return { ok: false, error: `error parsing regexp: ${kind}: \`${unsupported[0]}\`` };
  }
  let source = pattern;
  let flags = '';
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    source = source.slice(leading[0].length);
    for (const f of leading[1]) if (f !== 'U' && !flags.includes(f)) flags += f;
  }
  source = source
    .replace(/\[:(\^?)([a-z]+):\]/g, (whole, negate: string, name: string) =>
      POSIX[name] ? (negate ? `^${POSIX[name]}` : POSIX[name]) : whole,
    )
    .replace(/\(\?P</g, '(?<')
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '(?![\\s\\S])');
  for (const extra of ['u', '']) {
    try {
      return { ok: true, re: new RegExp(source, flags + extra) };
    } catch (error) {
      if (extra === '') return { ok: false, error: `error parsing regexp: ${(error as Error).message}` };
    }
  }
  return { ok: false, error: 'error parsing regexp' };
}
