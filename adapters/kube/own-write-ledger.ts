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
// an object someone else deleted.

/** What the watch brought for a name: a resourceVersion, or that it removed the object. */
export const REMOVED = Symbol('removed');
export type WatchedVersion = string | typeof REMOVED;

export class OwnWriteLedger {
  #changes = 0;
  #own = 0;
  /** Names with a write in flight → how many, and what the watch brought for the name meanwhile. */
  readonly #writing = new Map<string, { inFlight: number; seen?: WatchedVersion }>();

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
    if (writing) writing.seen = version;
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
