/**
 * Bytes for WebSocket masking keys and the handshake nonce. RFC 6455 section 5.3: "The masking
 * key MUST be derived from a strong source of entropy", unpredictable to the application
 * (section 10.3: a predictable key lets a page's script poison an intermediary's cache), and
 * section 4.1 item 7 asks the same of Sec-WebSocket-Key's 16 bytes.
 *
 * With the host's `randomBytes` (Crypto.randomBytes: the OS CSPRNG, the ESP32's hardware RNG)
 * bytes come from it, drawn into a fixed 32-byte pool (eight masking keys a call). A host
 * without one passes only `Random`, whose top 8 bits per draw are used: not a strong source,
 * which `strong` tells.
 */
import type { Random } from '../platform';

export class MaskBytes {
  /** 32 bytes drawn from the strong source at a time (a literal: the XS lane bundles every suite into one function whose top-level bindings each take one of the device engine's 896 stack slots). */
  private readonly pool: Uint8Array | undefined;
  private at = 0;

  constructor(
    private readonly random: Random,
    private readonly randomBytes?: (out: Uint8Array) => void,
  ) {
    this.pool = randomBytes ? new Uint8Array(32) : undefined;
    this.at = 32;
  }

  /** True when the bytes come from the host's strong source. */
  get strong(): boolean {
    return this.pool !== undefined;
  }

  /** The next byte, 0..255. */
  next(): number {
    const pool = this.pool;
    if (!pool || !this.randomBytes) return Math.floor(this.random.next() * 256) & 0xff;
    if (this.at >= pool.length) {
      this.randomBytes(pool);
      this.at = 0;
    }
    return pool[this.at++]!;
  }
}
