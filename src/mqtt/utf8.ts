/**
 * Strict UTF-8 for MQTT strings (MQTT 3.1.1 section 1.5.3), by hand: measure a JS string without
 * allocating (utf8Length, which also rejects lone surrogates and U+0000), write one (writeUtf8),
 * and decode bytes with full validation (no overlongs, no surrogates, nothing above U+10FFFF,
 * no U+0000). The codec prefers the engine's TextEncoder.encodeInto and fatal TextDecoder where
 * present (far cheaper in XS, see bench/mqtt-codec.ts); these are the fallbacks for hosts without
 * them, and the reference the native paths are tested against.
 */
import { SCAN_INVALID_UTF8, SCAN_NULL_CHARACTER } from './errors';

/**
 * UTF-8 byte length of `s`, or SCAN_NULL_CHARACTER / SCAN_INVALID_UTF8 (a lone surrogate,
 * which has no UTF-8 form). Does not allocate.
 */
export function utf8Length(s: string): number {
  const n = s.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) return SCAN_NULL_CHARACTER;
    } else if (c < 0x800) {
      bytes += 1;
    } else if (c < 0xd800 || c > 0xdfff) {
      bytes += 2;
    } else {
      // A high surrogate followed by a low one: 2 UTF-16 units, 4 bytes.
      if (c > 0xdbff || i + 1 >= n) return SCAN_INVALID_UTF8;
      const d = s.charCodeAt(i + 1);
      if (d < 0xdc00 || d > 0xdfff) return SCAN_INVALID_UTF8;
      bytes += 2;
      i++;
    }
  }
  return bytes;
}

/**
 * Writes `s` as UTF-8 at `offset` and returns the offset after it. The caller has measured `s`
 * with utf8Length (so it holds no lone surrogate) and sized the buffer.
 */
export function writeUtf8(s: string, buffer: Uint8Array, offset: number): number {
  const n = s.length;
  let o = offset;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buffer[o++] = c;
    } else if (c < 0x800) {
      buffer[o++] = 0xc0 | (c >> 6);
      buffer[o++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      buffer[o++] = 0xe0 | (c >> 12);
      buffer[o++] = 0x80 | ((c >> 6) & 0x3f);
      buffer[o++] = 0x80 | (c & 0x3f);
    } else {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      buffer[o++] = 0xf0 | (c >> 18);
      buffer[o++] = 0x80 | ((c >> 12) & 0x3f);
      buffer[o++] = 0x80 | ((c >> 6) & 0x3f);
      buffer[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o;
}

/** Longest run handed to String.fromCharCode at once: keeps argument lists small for XS's stack. */
const CHUNK = 1024;

function unitsToString(units: ArrayLike<number>, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i += CHUNK) {
    const stop = i + CHUNK < end ? i + CHUNK : end;
    out += String.fromCharCode.apply(null, Array.prototype.slice.call(units, i, stop) as number[]);
  }
  return out;
}

/**
 * Decodes `buffer[start..end)` as strict UTF-8. Returns the string, or SCAN_INVALID_UTF8 /
 * SCAN_NULL_CHARACTER. Rejects overlong forms (C0, C1, E0 80..9F, F0 80..8F), UTF-16 surrogates
 * (ED A0..BF), code points above U+10FFFF (F4 90.., F5..FF), stray continuation bytes and
 * truncated sequences.
 */
export function decodeUtf8(buffer: Uint8Array, start: number, end: number): string | number {
  // ASCII fast path: most topics and ids are ASCII; build them without an intermediate array.
  // Malformed input wins over U+0000 (as with a fatal TextDecoder followed by a U+0000 check).
  let i = start;
  let out = '';
  let nul = false;
  while (i < end) {
    const b = buffer[i];
    if (b >= 0x80) break;
    if (b === 0) nul = true;
    i++;
  }
  if (i === end) return nul ? SCAN_NULL_CHARACTER : asciiString(buffer, start, end);
  if (i > start) out = asciiString(buffer, start, i);

  const units: number[] = [];
  while (i < end) {
    const b = buffer[i];
    if (b < 0x80) {
      if (b === 0) nul = true;
      units.push(b);
      i++;
      continue;
    }
    let cp: number;
    let need: number;
    if (b >= 0xc2 && b <= 0xdf) {
      cp = b & 0x1f;
      need = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      cp = b & 0x0f;
      need = 2;
    } else if (b >= 0xf0 && b <= 0xf4) {
      cp = b & 0x07;
      need = 3;
    } else {
      return SCAN_INVALID_UTF8; // continuation byte as lead, C0/C1 overlong lead, or F5..FF
    }
    if (i + need >= end) return SCAN_INVALID_UTF8; // truncated sequence
    for (let k = 1; k <= need; k++) {
      const c = buffer[i + k];
      if ((c & 0xc0) !== 0x80) return SCAN_INVALID_UTF8;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (need === 2) {
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return SCAN_INVALID_UTF8;
      units.push(cp);
    } else if (need === 3) {
      if (cp < 0x10000 || cp > 0x10ffff) return SCAN_INVALID_UTF8;
      cp -= 0x10000;
      units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
      units.push(cp);
    }
    i += need + 1;
  }
  return nul ? SCAN_NULL_CHARACTER : out + unitsToString(units, 0, units.length);
}

/** Bytes known to be ASCII (1..0x7f) to a string. */
function asciiString(buffer: Uint8Array, start: number, end: number): string {
  if (end - start <= CHUNK) {
    return String.fromCharCode.apply(null, buffer.subarray(start, end) as unknown as number[]);
  }
  return unitsToString(buffer, start, end);
}
