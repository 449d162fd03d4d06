// RSA 4096 key generation takes one to several seconds on small nodes. The agent keeps the next key
// ready, generated in the background (node's thread pool), so the token exchange and each renewal do
// not wait for it. Every key is handed out once and never reused.
import { generateRsaKeyPair, type RsaKeyPair } from './csr.js';

export class SpareKey {
  private next: Promise<RsaKeyPair> | undefined;

  constructor(
    private readonly bits: number,
    private readonly generate: (bits: number) => Promise<RsaKeyPair> = generateRsaKeyPair,
  ) {}

  /** Starts preparing a key if none is on its way. */
  prepare(): void {
    if (this.next) return;
    const pending = this.generate(this.bits);
    // A failed background generation surfaces at take(), not as an unhandled rejection.
    pending.catch(() => undefined);
    this.next = pending;
  }

  /** The prepared key (waiting for it if needed); the one after it starts at once. */
  take(): Promise<RsaKeyPair> {
    this.prepare();
    const key = this.next!;
    this.next = undefined;
    this.prepare();
    return key;
  }
}
