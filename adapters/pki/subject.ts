// Parses the subject string the Connector hands out in `certificateSigningRequestInfo.subject`
// (e.g. "O=Org,OU=OrgUnit,L=locality,ST=province,C=DE,CN=<id>") into the attribute list that goes
// into the CSR. Unlike the Go agent (reference §3.1, bug 7) this trims, keeps every value of a
// repeated attribute, understands RFC 4514 escapes and reports malformed segments as errors.

export type SubjectAttributeType = 'C' | 'ST' | 'L' | 'O' | 'OU' | 'CN';

export interface SubjectAttribute {
  type: SubjectAttributeType;
  value: string;
}

export interface ParsedSubject {
  /** In the order C, ST, L, O, OU, CN (the Go agent's encoding order); repeated attributes keep their given order. */
  attributes: SubjectAttribute[];
  /** Attribute types present in the string that do not go into the CSR (e.g. `E`, `DC`). */
  ignoredTypes: string[];
}

export class SubjectParseError extends Error {
  override readonly name = 'SubjectParseError';
}

export const SUBJECT_ORDER: readonly SubjectAttributeType[] = ['C', 'ST', 'L', 'O', 'OU', 'CN'];

// Attribute types are case-insensitive (RFC 4514 §3); the dotted OIDs are accepted as well.
const TYPE_ALIASES: Record<string, SubjectAttributeType> = {
  c: 'C',
  '2.5.4.6': 'C',
  st: 'ST',
  s: 'ST',
  '2.5.4.8': 'ST',
  l: 'L',
  '2.5.4.7': 'L',
  o: 'O',
  '2.5.4.10': 'O',
  ou: 'OU',
  '2.5.4.11': 'OU',
  cn: 'CN',
  '2.5.4.3': 'CN',
};

/**
 * Splits on unescaped `,` (and `;`, the legacy RFC 1779 separator) and on unescaped `+`
 * (multi-valued RDNs: each value becomes an attribute of its own, as the CSR encodes one per RDN).
 * A missing C/ST/L/O/OU is left out of the result rather than encoded as an empty attribute (which the
 * Go agent does): an empty attribute is no more acceptable to the Connector than an absent one, and
 * leaving it out keeps the CSR free of meaningless values. A missing CN is an error, since the
 * Connector requires CN to equal the client id.
 */
export function parseSubject(subject: string): ParsedSubject {
  if (subject.trim() === '') {
    throw new SubjectParseError(
      'The certificate subject from the Connector is empty; expected e.g. "O=Org,OU=OrgUnit,L=locality,ST=province,C=DE,CN=<id>". Check the Connector configuration.',
    );
  }
  const byType = new Map<SubjectAttributeType, string[]>();
  const ignored: string[] = [];
  for (const segment of splitUnescaped(subject)) {
    if (segment.raw.trim() === '') {
      throw new SubjectParseError(
        `The certificate subject ${JSON.stringify(subject)} has an empty segment at position ${segment.start}; expected "KEY=value" pairs separated by commas.`,
      );
    }
    const eq = segment.raw.indexOf('=');
    if (eq < 0) {
      throw new SubjectParseError(
        `The certificate subject ${JSON.stringify(subject)} has a segment without "=" (${JSON.stringify(segment.raw.trim())}); expected "KEY=value" pairs separated by commas.`,
      );
    }
    const key = segment.raw.slice(0, eq).trim();
    if (key === '') {
      throw new SubjectParseError(
        `The certificate subject ${JSON.stringify(subject)} has a segment without an attribute type (${JSON.stringify(segment.raw.trim())}).`,
      );
    }
    const value = unescapeValue(segment.raw.slice(eq + 1), subject);
    const type = TYPE_ALIASES[key.toLowerCase()];
    if (type === undefined) {
      if (!ignored.includes(key)) ignored.push(key);
      continue;
    }
    const values = byType.get(type) ?? [];
    values.push(value);
    byType.set(type, values);
  }
  if (!byType.has('CN')) {
    throw new SubjectParseError(
      `The certificate subject ${JSON.stringify(subject)} has no CN; the Connector requires CN to be the client id.`,
    );
  }
  const attributes: SubjectAttribute[] = [];
  for (const type of SUBJECT_ORDER) for (const value of byType.get(type) ?? []) attributes.push({ type, value });
  return { attributes, ignoredTypes: ignored };
}

/** The attributes as an RFC 4514 string in encoding order (for logs and messages). */
export function formatSubject(attributes: readonly SubjectAttribute[]): string {
  return attributes.map((a) => `${a.type}=${escapeValue(a.value)}`).join(',');
}

function escapeValue(value: string): string {
  return value
    .replace(/[,+"\\<>;=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

interface Segment {
  raw: string;
  start: number;
}

function splitUnescaped(text: string): Segment[] {
  const segments: Segment[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++; // the escaped character never separates
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && (c === ',' || c === ';' || c === '+')) {
      segments.push({ raw: text.slice(start, i), start });
      start = i + 1;
    }
  }
  segments.push({ raw: text.slice(start), start });
  return segments;
}

/** Trims unescaped surrounding spaces, resolves `\c` and `\XX` (hex, UTF-8) escapes and quoted values. */
function unescapeValue(raw: string, subject: string): string {
  let text = raw.trimStart();
  // trailing spaces are insignificant unless escaped
  let end = text.length;
  while (end > 0 && text[end - 1] === ' ' && !isEscaped(text, end - 1)) end--;
  text = text.slice(0, end);
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1);
  const chars = Array.from(text); // code points, so surrogate pairs stay whole
  const bytes: number[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '"') continue;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = chars.slice(i + 1, i + 3).join('');
    if (/^[0-9a-fA-F]{2}$/.test(next)) {
      bytes.push(parseInt(next, 16));
      i += 2;
    } else if (i + 1 < chars.length) {
      bytes.push(...Buffer.from(chars[i + 1], 'utf8'));
      i += 1;
    } else {
      throw new SubjectParseError(`The certificate subject ${JSON.stringify(subject)} ends with a lone backslash.`);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function isEscaped(text: string, index: number): boolean {
  let backslashes = 0;
  for (let i = index - 1; i >= 0 && text[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}
