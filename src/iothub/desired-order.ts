/**
 * Ordering of desired-property updates on one IoT Hub device connection, sans-IO.
 *
 * IoT Hub numbers the desired document with `$version`, which grows by one per change of that
 * twin; a patch arrives on `$iothub/twin/PATCH/properties/desired/?$version=N` and a full GET
 * answers with the whole document and its `$version` (IoT Hub device twins, "Device
 * reconnection flow": get the full twin after each reconnect, then apply patches newer than
 * it). Rules here:
 * - the full document read after a connect is the truth whatever its version: a twin deleted
 *   and re-created on the hub starts again at a low `$version` (7 -> 1), so versions are only
 *   compared within one connection, never across one;
 * - within a connection a patch goes out only as the next version after what was delivered;
 *   an older one is stale (dropped), a newer one is held and a full read (resync) asked for;
 *   the held ones newer than that read follow it in order.
 */

/** One update for the application: a patch (merge; null deletes) or the full document (replace). */
export interface DesiredDelivery {
  version: number;
  full: boolean;
  /** Without the $version key. */
  desired: Record<string, unknown>;
}

/** `version` before anything was delivered on this connection (every real version is >= 0). */
export const NO_VERSION = -1;

/** What to do with an incoming patch. */
export interface PatchOutcome {
  deliver: DesiredDelivery[];
  /** A gap or an early patch: the caller must start a full read (unless one is running). */
  resync: boolean;
}

export class DesiredOrder {
  private delivered = NO_VERSION;
  private reading = false;
  /** Patches held during a full read or after a gap, by version. */
  private held: { version: number; desired: Record<string, unknown> }[] = [];

  /** Version of the last update delivered on this connection (NO_VERSION before the first). */
  get version(): number {
    return this.delivered;
  }

  /** A full read is under way. */
  get resyncing(): boolean {
    return this.reading;
  }

  /** A new connection: what earlier ones delivered or held is superseded by its full read. */
  newConnection(): void {
    this.delivered = NO_VERSION;
    this.held = [];
    this.reading = false;
  }

  /** A full read starts: patches are held until it answers. */
  beginResync(): void {
    this.reading = true;
  }

  /** The full read failed; held patches wait for the next one. */
  resyncFailed(): void {
    this.reading = false;
  }

  /** The full read answered: the document is delivered whatever its version, then held patches newer than it, in order. */
  fullDocument(version: number, desired: Record<string, unknown>): DesiredDelivery[] {
    this.reading = false;
    this.delivered = version;
    const out: DesiredDelivery[] = [{ version, full: true, desired }];
    this.flush(true, out);
    return out;
  }

  /** A patch with its `$version` arrived. */
  patch(version: number, desired: Record<string, unknown>): PatchOutcome {
    if (version <= this.delivered) return { deliver: [], resync: false }; // stale: already part of what was delivered
    if (this.reading || this.delivered === NO_VERSION || version !== this.delivered + 1) {
      this.hold(version, desired);
      // A gap means a patch went missing: only a full read can tell what changed.
      return { deliver: [], resync: !this.reading };
    }
    this.delivered = version;
    const out: DesiredDelivery[] = [{ version, full: false, desired }];
    this.flush(false, out);
    return { deliver: out, resync: false };
  }

  private hold(version: number, desired: Record<string, unknown>): void {
    let i = this.held.length;
    while (i > 0 && this.held[i - 1].version > version) i--;
    if (i > 0 && this.held[i - 1].version === version) return; // duplicate
    this.held.splice(i, 0, { version, desired });
  }

  /** Right after a full read gaps are accepted (the read was the authority); otherwise only the next version goes. */
  private flush(afterRead: boolean, out: DesiredDelivery[]): void {
    let i = 0;
    for (; i < this.held.length; i++) {
      const h = this.held[i];
      if (h.version <= this.delivered) continue;
      if (!afterRead && h.version !== this.delivered + 1) break;
      this.delivered = h.version;
      out.push({ version: h.version, full: false, desired: h.desired });
    }
    this.held = i >= this.held.length ? [] : this.held.slice(i);
  }
}
