// The string formats the API server checks in custom resources (apiextensions-apiserver
// pkg/apiserver/validation/formats.go keeps these and strips every other format before validating;
// the checks themselves are kube-openapi pkg/validation/strfmt). Names are compared without dashes,
// so `date-time` and `datetime` are the same format.

export type FormatCheck = (value: string) => boolean;

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID3 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const UUID4 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const UUID5 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const HOSTNAME =
  /^([a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)|([a-zA-Z0-9\p{S}\p{L}](([a-zA-Z0-9\-\p{S}\p{L}]{0,61}[a-zA-Z0-9\p{S}\p{L}])?)(\.)){1,}([a-zA-Z\p{L}]){2,63})$/u;
const DATE_TIME_CLOCK = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;
const RGB_PART = '\\s*(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|25[0-5])\\s*';
const RGB = new RegExp(`^rgb\\(${RGB_PART},${RGB_PART},${RGB_PART}\\)$`);
const GO_DURATION = /^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$/;
const DURATION_PART = /(\d+)\s*([A-Za-zµ]+)/g;
const DURATION_UNITS = [
  ['ns', 'nano'],
  ['us', 'µs', 'micro'],
  ['ms', 'milli'],
  ['s', 'sec'],
  ['m', 'min'],
  ['h', 'hr', 'hour'],
  ['d', 'day'],
  ['w', 'wk', 'week'],
];

/** time.Parse("2006-01-02", s): four-digit year, two-digit month and day, the day within its month. */
export function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= days;
}

/** strfmt.IsDateTime: a date, a `t`, then a clock; checked on the lower-cased text. */
export function isDateTime(s: string): boolean {
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split('t');
  if (parts.length < 2 || !isDate(parts[0])) return false;
  const m = DATE_TIME_CLOCK.exec(parts[1]);
  return m !== null && m[1] <= '23' && m[2] <= '59' && m[3] <= '59';
}

/** strfmt.ParseDuration: Go's time.ParseDuration, else any "<digits> <unit>" run with a known unit. */
function isDuration(s: string): boolean {
  if (s === '0' || GO_DURATION.test(s)) return true;
  for (const m of s.matchAll(DURATION_PART)) {
    const unit = m[2].toLowerCase().trim();
    for (const variants of DURATION_UNITS) {
      const last = variants.length - 1;
      if (variants.some((v, i) => (i === last && unit.startsWith(v)) || v === unit)) return true;
    }
  }
  return false;
}

/** net.ParseIP, leniently (leading zeros allowed in IPv4 octets, as netutils.ParseIPSloppy). */
function parseIp(s: string): 4 | 6 | 0 {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return s.split('.').every((p) => Number(p) <= 255) ? 4 : 0;
  if (!s.includes(':')) return 0;
  let text = s;
  const v4 = /:(\d{1,3}(\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    if (parseIp(v4[1]) !== 4) return 0;
    text = text.slice(0, v4.index + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return 0;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const all = halves.flatMap(groups);
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return 0;
  if (halves.length === 2 ? all.length > 7 : all.length !== 8) return 0;
  return 6;
}

function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = parseIp(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  if (!ip || !/^\d+$/.test(bits) || (bits.length > 1 && bits.startsWith('0'))) return false;
  return Number(bits) <= (ip === 4 ? 32 : 128);
}

/** net.ParseMAC: 6, 8 or 20 octets as xx:xx..., xx-xx... or xxxx.xxxx.... */
function isMac(s: string): boolean {
  const colon = /^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2})*$/.exec(s);
  if (colon) return [6, 8, 20].includes(s.split(colon[1]).length);
  if (/^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4})+$/.test(s)) return [3, 4, 10].includes(s.split('.').length);
  return false;
}

/** url.ParseRequestURI: an absolute URI or an absolute path, no control characters, valid escapes. */
function isRequestUri(s: string): boolean {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this check refuses
  if (s === '' || /[\x00-\x1f\x7f ]/.test(s) || /%(?![0-9a-fA-F]{2})/.test(s)) return false;
  if (s.startsWith('/')) return true;
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:(.*)$/s.exec(s);
  if (!m) return false;
  const rest = m[1].split(/[?#]/)[0];
  if (!rest.startsWith('//')) return true;
  const authority = rest.slice(2).split('/')[0];
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  const port = /^(\[[^\]]*\]|[^:]*)(:(.*))?$/.exec(host);
  return port !== null && (port[3] === undefined || /^\d*$/.test(port[3]));
}

function isEmail(s: string): boolean {
  const addr = /^[^<>]*<([^<>]+)>$/.exec(s.trim())?.[1] ?? s.trim();
  return /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()\\,;:"]+$/.test(addr) && !addr.endsWith('.') && !addr.startsWith('.');
}

function isbnChecksum(digits: string, weights: (i: number) => number, modulo: number): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += (digits[i] === 'X' ? 10 : Number(digits[i])) * weights(i);
  return sum % modulo === 0;
}

function isIsbn10(s: string): boolean {
  const digits = s.replace(/[\s-]/g, '');
  return /^\d{9}[\dX]$/.test(digits) && isbnChecksum(digits, (i) => 10 - i, 11);
}

function isIsbn13(s: string): boolean {
  const digits = s.replace(/[\s-]/g, '');
  return /^\d{13}$/.test(digits) && isbnChecksum(digits, (i) => (i % 2 === 0 ? 1 : 3), 10);
}

function isCreditCard(s: string): boolean {
  const digits = s.replace(/[^0-9]/g, '');
  if (
    !/^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|(222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11}|6[27][0-9]{14})$/.test(
      digits,
    )
  )
    return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const CHECKS: Record<string, FormatCheck> = {
  bsonobjectid: (s) => /^[0-9a-fA-F]{24}$/.test(s),
  uri: isRequestUri,
  email: isEmail,
  hostname: (s) => HOSTNAME.test(s) && s.length <= 255 && s.split('.').every((p) => p.length <= 63),
  ipv4: (s) => parseIp(s) !== 0 && s.includes('.'),
  ipv6: (s) => parseIp(s) !== 0 && s.includes(':'),
  cidr: isCidr,
  mac: isMac,
  uuid: (s) => UUID.test(s),
  uuid3: (s) => UUID3.test(s),
  uuid4: (s) => UUID4.test(s),
  uuid5: (s) => UUID5.test(s),
  isbn: (s) => isIsbn10(s) || isIsbn13(s),
  isbn10: isIsbn10,
  isbn13: isIsbn13,
  creditcard: isCreditCard,
  ssn: (s) => /^\d{3}[- ]?\d{2}[- ]?\d{4}$/.test(s),
  hexcolor: (s) => /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(s),
  rgbcolor: (s) => RGB.test(s),
  byte: (s) => BASE64.test(s),
  password: () => true,
  date: isDate,
  duration: isDuration,
  datetime: isDateTime,
};

/** The check for a format the API server validates, or undefined for formats it strips. */
export function formatCheck(format: string): FormatCheck | undefined {
  return CHECKS[format.replaceAll('-', '')];
}
