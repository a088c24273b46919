/**
 * TLS record size the firmware asks of the server: the max_fragment_length extension (RFC 6066
 * §4), which Moddable's ssl/ssl_handshake.js sends for the secure option
 * `tls_max_fragment_length` (its code: 1 for 512 bytes .. 4 for 4096).
 *
 * Why: Moddable's TLS allocates a whole record while it arrives and again when it decrypts it,
 * so 16 KB records (a 64 KB C2D message, a large twin document) need over 32 KB of chunk at
 * once on a 78 KB heap. A server that ignores the extension still sends up to 16 KB.
 */

/** The lengths RFC 6066 allows, bytes; 0: the extension is not sent. */
export const FRAGMENT_LENGTHS: readonly number[] = Object.freeze([0, 512, 1024, 2048, 4096]);

/** The firmware's default: 4096 (record overhead about 1 %, a quarter of the memory). */
export const DEFAULT_FRAGMENT_LENGTH = 4096;

/** Returns `length`, or throws RangeError when it is not one of FRAGMENT_LENGTHS. */
export function checkFragmentLength(length: number): number {
  if (FRAGMENT_LENGTHS.indexOf(length) < 0) throw new RangeError(`TLS max fragment length ${length}: expected 0, 512, 1024, 2048 or 4096`);
  return length;
}

/** Adds the request to SecureSocket's `secure` dictionary (nothing for 0). */
export function requestFragmentLength(secure: Record<string, unknown>, length: number): void {
  if (checkFragmentLength(length) > 0) secure.tls_max_fragment_length = length;
}
