/**
 * WebSocket frames (RFC 6455 section 5.2): opcodes, close codes, and the encoder.
 *
 *  0                   1                   2                   3
 *  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *  then a 4-byte masking key when MASK is set (every client frame, section 5.3), then the payload.
 */

export const OPCODE_CONTINUATION = 0x0;
export const OPCODE_TEXT = 0x1;
export const OPCODE_BINARY = 0x2;
export const OPCODE_CLOSE = 0x8;
export const OPCODE_PING = 0x9;
export const OPCODE_PONG = 0xa;

/** Close status codes (section 7.4.1). */
export const CLOSE_NORMAL = 1000;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_UNSUPPORTED_DATA = 1003;
export const CLOSE_INVALID_PAYLOAD = 1007;
export const CLOSE_TOO_BIG = 1009;

/** Control frames carry at most 125 bytes (section 5.5). */
export const MAX_CONTROL_PAYLOAD = 125;
/** Longest frame header: 2 + 8 (64-bit length) + 4 (masking key). */
export const MAX_HEADER_BYTES = 14;

/** Header bytes for a payload of `length` bytes, masked or not. */
export function headerLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes one frame into `out` at 0: header, then `payload[start..end)` masked with `mask`
 * (4 bytes, section 5.3) when given. FIN is set unless `fin` is false. Returns the bytes
 * written. `out` must hold headerLength(end - start, mask !== undefined) + (end - start) bytes;
 * throws RangeError otherwise (a caller bug, not input).
 */
export function encodeFrame(out: Uint8Array, opcode: number, payload: Uint8Array, start: number, end: number, mask: Uint8Array | undefined, fin = true): number {
  const length = end - start;
  const total = headerLength(length, mask !== undefined) + length;
  if (out.length < total || length < 0) throw new RangeError('WebSocket frame does not fit the buffer');
  out[0] = (fin ? 0x80 : 0) | (opcode & 0x0f);
  const maskBit = mask ? 0x80 : 0;
  let at: number;
  if (length < 126) {
    out[1] = maskBit | length;
    at = 2;
  } else if (length < 0x10000) {
    out[1] = maskBit | 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
    at = 4;
  } else {
    out[1] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    const low = length >>> 0;
    for (let i = 0; i < 4; i++) out[2 + i] = (high >>> (24 - 8 * i)) & 0xff;
    for (let i = 0; i < 4; i++) out[6 + i] = (low >>> (24 - 8 * i)) & 0xff;
    at = 10;
  }
  if (mask) {
    for (let i = 0; i < 4; i++) out[at + i] = mask[i];
    at += 4;
    for (let i = 0; i < length; i++) out[at + i] = payload[start + i] ^ mask[i & 3];
  } else {
    for (let i = 0; i < length; i++) out[at + i] = payload[start + i];
  }
  return at + length;
}

/** Fills `mask` with 4 bytes from `nextByte()` (0..255): a fresh masking key per frame (section 5.3). */
export function newMask(mask: Uint8Array, nextByte: () => number): Uint8Array {
  for (let i = 0; i < 4; i++) mask[i] = nextByte();
  return mask;
}
