// How Go prints the values that end up in the API server's messages (validation, authorization). Decoded JSON in Go
// is map[string]interface{}, []interface{}, string, bool, int64 (integral numbers) or float64 (the
// rest), and fmt prints each differently from JavaScript: %q escapes, %v of a float64 switches to
// exponent form at 1e+06, %#v spells out `map[string]interface {}{...}`.

/** Whether Go's unstructured JSON decoder would have made this number an int64 (else float64). */
export function isGoInt(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63;
}

/** strconv.Quote / %q. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0b) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (!goPrintable(c)) out += c > 0xffff ? `\\U${c.toString(16).padStart(8, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** unicode.IsPrint for the code points that commonly appear; everything else outside ASCII prints. */
function goPrintable(c: number): boolean {
  if (c >= 0x80 && c <= 0xa0) return false;
  if (c === 0xad || c === 0x2028 || c === 0x2029 || c === 0xfeff) return false;
  if (c >= 0x200b && c <= 0x200f) return false;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  return true;
}

/** %v of a float64: shortest representation, exponent form below 1e-4 and from 1e+06 on. */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa, e] = n.toExponential().split('e');
  const exponent = Number(e);
  if (exponent < -4 || exponent >= 6) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(n);
}

/** %v of a decoded JSON number (int64 or float64). */
export function goNumber(n: number): string {
  return isGoInt(n) ? BigInt(n).toString() : goFloat(n);
}

/** %v of a decoded JSON value, as fmt prints interface{} values (maps sorted by key). */
export function goV(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(goV).join(' ')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((k) => `${k}:${goV((value as Record<string, unknown>)[k])}`);
  return `map[${entries.join(' ')}]`;
}

/** %#v of a decoded JSON value. */
export function goSharpV(value: unknown, nested = false): string {
  if (value === null || value === undefined) return nested ? 'interface {}(nil)' : '<nil>';
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[]interface {}{${value.map((v) => goSharpV(v, true)).join(', ')}}`;
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .sort()
    .map((k) => `${goQuote(k)}:${goSharpV(record[k], true)}`);
  return `map[string]interface {}{${entries.join(', ')}}`;
}

/** json.Marshal of decoded JSON: keys sorted, no spaces, <, > and & escaped as Go does. */
export function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  return `{${Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort()
    .map((k) => `${goJsonString(k)}:${goJson(record[k])}`)
    .join(',')}}`;
}

function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** utilerrors.NewAggregate(errs).Error(): one message as it is, several (duplicates dropped) as `[a, b]`. */
export function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}
