// Which changes of a watch cache the agent's own writes made. A cache counts its changes so that the
// synchronisation can tell "the same cache as when I planned" by one number (sync-memory.ts); counting
// which of them were the agent's own lets it also tell "what I planned and wrote, and nothing else":
// then the cycle after an apply that wrote need not plan everything again to find nothing to do.
//
// A write of the agent changes the cache once: through its answer (write-through), or through its echo
// on the watch when that came first. An echo that came first is recognised by the resourceVersion the
// answer then names (resourceVersions identify an object's versions), or, for a delete, by the delete
// succeeding (a name is deleted once: a delete that someone else's beat answers 404). Anything else
// that changed the cache is not the agent's: a change the watch brought that no answer claims, a relist,
// an object someone else deleted. When the watch brought a write and then its object's removal before
// the answer came, the answer is out of date: the cache keeps the object removed (`removedAfter`).

/** What the watch brought for a name: a resourceVersion, or that it removed the object. */
export const REMOVED = Symbol('removed');
export type WatchedVersion = string | typeof REMOVED;

export class OwnWriteLedger {
  #changes = 0;
  #own = 0;
  /**
   * Names with a write in flight → how many, what the watch brought for the name meanwhile, and the
   * version it removed the object after, if it did.
   */
  readonly #writing = new Map<string, { inFlight: number; seen?: WatchedVersion; removedAfter?: string }>();

  /** Every change of the cache. */
  get changes(): number {
    return this.#changes;
  }

  /** The changes the agent's own writes made; never more than `changes`. */
  get own(): number {
    return this.#own;
  }

  /** A write of `name` is sent. Each `begin` is followed by one `end`, whatever the write's outcome. */
  begin(name: string): void {
    const writing = this.#writing.get(name);
    if (writing) writing.inFlight++;
    else this.#writing.set(name, { inFlight: 1 });
  }

  end(name: string): void {
    const writing = this.#writing.get(name);
    if (writing && --writing.inFlight === 0) this.#writing.delete(name);
  }

  /** The watch changed the cache entry of `name` (`version`: what it holds now, or REMOVED). */
  watched(name: string, version: WatchedVersion): void {
    this.#changes++;
    const writing = this.#writing.get(name);
    if (!writing) return;
    if (version === REMOVED && typeof writing.seen === 'string') writing.removedAfter = writing.seen;
    writing.seen = version;
  }

  /**
   * Whether the watch brought `version` of `name` while this write was in flight and then removed the
   * object: the write's answer (`version`) is already out of date, someone deleted the object after
   * the write, and the cache must not take it back. The echo is the agent's own change; claimed here.
   */
  removedAfter(name: string, version: string): boolean {
    const writing = this.#writing.get(name);
    if (writing?.removedAfter !== version) return false;
    this.#own++;
    writing.removedAfter = undefined;
    return true;
  }

  /** The cache changed by something no write claims (a relist, an object found deleted by someone else). */
  changed(): void {
    this.#changes++;
  }

  /**
   * The agent's write of `name` succeeded with `version` (REMOVED: a delete). `applied`: its answer
   * changed the cache; false when the cache already held it, which is the agent's change only if the
   * watch brought exactly this version while the write was in flight.
   */
  written(name: string, version: WatchedVersion, applied: boolean): void {
    if (applied) {
      this.#changes++;
      this.#own++;
      return;
    }
    const writing = this.#writing.get(name);
    if (writing?.seen === version) {
      this.#own++;
      writing.seen = undefined; // one echo, one claim
    }
  }
}
