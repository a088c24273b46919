/**
 * Packet identifiers (MQTT 3.1.1 section 2.3.1): 1..65535, cycling, skipping ids still in use.
 * The owner says which ids are in use through a callback, so there is no second copy of that state.
 */
export class PacketIds {
  /** The id handed out last (0 before the first). Public so a hot path can advance it inline. */
  last = 0;

  /** The next free id, or 0 when all 65535 are in use. */
  next(inUse: (id: number) => boolean): number {
    for (let tries = 0; tries < 65535; tries++) {
      this.last = this.last === 65535 ? 1 : this.last + 1;
      if (!inUse(this.last)) return this.last;
    }
    return 0;
  }

  /** The next id when the owner knows none is in use (nothing in flight): no callback to ask. */
  advance(): number {
    this.last = this.last === 65535 ? 1 : this.last + 1;
    return this.last;
  }

  /** Makes `id` the last one handed out (tests: start near the wrap-around). */
  seek(id: number): void {
    this.last = id;
  }
}
