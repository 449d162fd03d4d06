// PEM framing (RFC 7468): base64 at 64 columns between BEGIN/END lines.

export interface PemBlock {
  label: string;
  der: Uint8Array;
  /** The block re-encoded canonically, with a trailing newline. */
  pem: string;
}

export class PemError extends Error {
  override readonly name = 'PemError';
}

export function toPem(der: Uint8Array, label: string): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

/**
 * Every PEM block of `text`, in order. `what` names the input in error messages (the content itself
 * never appears there: it may be a key).
 */
export function decodePemBlocks(text: string, what: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, label, body, endLabel] = match;
    if (label !== endLabel) throw new PemError(`${what}: a PEM block starts as "${label}" but ends as "${endLabel}".`);
    const base64 = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) {
      throw new PemError(`${what}: the "${label}" PEM block does not contain valid base64.`);
    }
    const der = new Uint8Array(Buffer.from(base64, 'base64'));
    blocks.push({ label, der, pem: toPem(der, label) });
  }
  if (blocks.length === 0) throw new PemError(`${what} contains no PEM block (expected "-----BEGIN …-----").`);
  return blocks;
}
