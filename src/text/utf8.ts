/**
 * UTF-8, once for all of src/: measure and write JS strings without allocating, decode bytes
 * strictly (MQTT 3.1.1 section 1.5.3, SAS and JSON payloads) or leniently (cloud text for the
 * display), and find the engine's native TextEncoder / strict TextDecoder where there is one.
 *
 * The hand-written code runs the same on every engine: it is the fallback where the natives are
 * missing (a Moddable host installs them only if its manifest includes modules/data/text) and
 * the reference the natives are tested against. The natives are far cheaper in XS (see
 * bench/mqtt-codec.ts), so hot paths prefer them; nothing here touches them at module load.
 *
 * Strict means what a fatal WHATWG TextDecoder refuses: overlong forms (C0, C1, E0 80..9F,
 * F0 80..8F), UTF-16 surrogates (ED A0..BF), code points above U+10FFFF (F4 90.., F5..FF), stray
 * continuation bytes and truncated sequences. Lenient replaces each maximal invalid subpart
 * with U+FFFD, as a non-fatal TextDecoder does. A leading BOM is kept either way.
 */

/** Result code: malformed UTF-8, or a lone surrogate (no UTF-8 form). MQTT's SCAN_INVALID_UTF8. */
export const UTF8_INVALID = -1;
/** Result code: U+0000 where the caller refuses it. MQTT's SCAN_NULL_CHARACTER. */
export const UTF8_NUL = -2;

const REPLACEMENT = 0xfffd;

/**
 * UTF-8 byte length of `text`, or UTF8_INVALID (a lone surrogate), or UTF8_NUL when `rejectNul`
 * and the text holds U+0000 (MQTT forbids it in strings). The first problem found wins.
 * Does not allocate.
 */
export function utf8Length(text: string, rejectNul?: boolean): number {
  const n = text.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      // Nested, not `c === 0 && rejectNul`: XS spends more on the && for every ASCII character.
      if (c === 0) {
        if (rejectNul) return UTF8_NUL;
      }
    } else if (c < 0x800) {
      bytes += 1;
    } else if (c < 0xd800 || c > 0xdfff) {
      bytes += 2;
    } else {
      // A high surrogate followed by a low one: 2 UTF-16 units, 4 bytes.
      if (c > 0xdbff || i + 1 >= n) return UTF8_INVALID;
      const d = text.charCodeAt(i + 1);
      if (d < 0xdc00 || d > 0xdfff) return UTF8_INVALID;
      bytes += 2;
      i++;
    }
  }
  return bytes;
}

/**
 * Writes `text` as UTF-8 at `out[offset]` and returns the offset after it. The caller has
 * measured `text` with utf8Length (so it holds no lone surrogate: one would be written as
 * garbage) and sized `out`. Does not allocate.
 */
export function writeUtf8(text: string, out: Uint8Array, offset: number): number {
  const n = text.length;
  let o = offset;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
    } else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    } else {
      // A surrogate pair (the caller's utf8Length ruled out lone surrogates): 4 bytes. Not
      // re-checked here: that costs XS ~25 computrons a pair on the no-TextEncoder path.
      c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      out[o++] = 0xf0 | (c >> 18);
      out[o++] = 0x80 | ((c >> 12) & 0x3f);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o;
}

/**
 * `text` as new UTF-8 bytes. Throws RangeError on a lone surrogate, as encodeURIComponent does:
 * a signature over a silently replaced character would fail at the hub with no clue why.
 */
export function encodeUtf8(text: string): Uint8Array {
  const n = utf8Length(text);
  if (n < 0) throw new RangeError('lone surrogate in text');
  const out = new Uint8Array(n);
  writeUtf8(text, out, 0);
  return out;
}

/**
 * Decodes `bytes[start..end)` as strict UTF-8: the string, or UTF8_INVALID, or UTF8_NUL when
 * `rejectNul` and it holds U+0000 (malformed input wins over U+0000, as with a fatal TextDecoder
 * followed by a U+0000 check). Never throws. `lenient` is decodeUtf8Lenient's: the fast paths
 * call this directly (one call less matters in XS).
 */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number, rejectNul?: boolean, lenient?: boolean): string | number {
  // ASCII fast path: most topics, ids and JSON are ASCII; build them without an intermediate array.
  let i = start;
  let nul = false;
  while (i < end) {
    const b = bytes[i];
    if (b >= 0x80) break;
    if (b === 0) nul = true;
    i++;
  }
  if (i === end) return nul && rejectNul ? UTF8_NUL : asciiString(bytes, start, end);
  const head = i > start ? asciiString(bytes, start, i) : '';

  const units: number[] = [];
  while (i < end) {
    const b = bytes[i];
    if (b < 0x80) {
      if (b === 0) nul = true;
      units.push(b);
      i++;
      continue;
    }
    // A valid sequence leaves the block by `continue`; anything else breaks out of it.
    valid: {
      let need: number;
      let cp: number;
      if (b >= 0xc2 && b <= 0xdf) {
        need = 1;
        cp = b & 0x1f;
      } else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        cp = b & 0x0f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        cp = b & 0x07;
      } else {
        break valid; // a continuation byte as lead, C0/C1 (overlong) or F5..FF
      }
      if (i + need >= end) break valid; // truncated
      for (let k = 1; k <= need; k++) {
        const c = bytes[i + k];
        if ((c & 0xc0) !== 0x80) break valid;
        cp = (cp << 6) | (c & 0x3f);
      }
      if (need === 2) {
        if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) break valid; // overlong or surrogate
        units.push(cp);
      } else if (need === 3) {
        if (cp < 0x10000 || cp > 0x10ffff) break valid; // overlong or beyond Unicode
        cp -= 0x10000;
        units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
      } else {
        units.push(cp);
      }
      i += need + 1;
      continue;
    }
    if (!lenient) return UTF8_INVALID;
    units.push(REPLACEMENT);
    i += invalidSubpart(bytes, i, end);
  }
  return nul && rejectNul ? UTF8_NUL : head + unitsToString(units, 0, units.length);
}

/** Strict decoding for callers that treat bad bytes as an error: throws RangeError. */
export function decodeUtf8OrThrow(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const text = decodeUtf8(bytes, start, end);
  if (typeof text !== 'string') throw new RangeError('invalid UTF-8 (malformed or truncated sequence)');
  return text;
}

/** Decodes with each maximal invalid subpart replaced by U+FFFD (WHATWG). Never fails. */
export function decodeUtf8Lenient(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return decodeUtf8(bytes, start, end, false, true) as string;
}

/** Longest run handed to String.fromCharCode at once: keeps argument lists small for XS's stack. */
const CHUNK = 1024;

/**
 * Length of the maximal invalid subpart at bytes[i], known not to start a valid sequence: the
 * lead and the continuation bytes that could still have completed it (WHATWG's bounds on the
 * second byte rule out overlongs, surrogates and > U+10FFFF), at least 1.
 */
function invalidSubpart(bytes: Uint8Array, i: number, end: number): number {
  const b = bytes[i];
  const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
  let lower = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
  let upper = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
  let k = 1;
  for (; k <= need && i + k < end; k++) {
    const c = bytes[i + k];
    if (c < lower || c > upper) break;
    lower = 0x80;
    upper = 0xbf;
  }
  return k;
}

function unitsToString(units: ArrayLike<number>, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i += CHUNK) {
    const stop = i + CHUNK < end ? i + CHUNK : end;
    out += String.fromCharCode.apply(null, Array.prototype.slice.call(units, i, stop) as number[]);
  }
  return out;
}

/** Bytes known to be ASCII to a string. */
function asciiString(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= CHUNK) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  return unitsToString(bytes, start, end);
}

/** The part of TextEncoder the fast paths use. */
export interface NativeUtf8Encoder {
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}

/** The part of TextDecoder the fast paths use. */
export interface NativeUtf8Decoder {
  decode(input: Uint8Array): string;
}

/**
 * A new native TextEncoder, or undefined where the engine has none (or it cannot be built).
 * Stateless and frozen, so a module may keep one at top level (XS's preload then leaves it in
 * flash instead of copying it to RAM). In XS, encodeInto
 * writes a lone surrogate as CESU-8: measure with utf8Length first.
 */
export function nativeUtf8Encoder(): NativeUtf8Encoder | undefined {
  if (typeof TextEncoder !== 'function') return undefined;
  try {
    return Object.freeze(new TextEncoder());
  } catch {
    return undefined;
  }
}

/**
 * A native TextDecoder that is fatal (throws on malformed input, so it decodes exactly as
 * strictly as decodeUtf8) and keeps a leading BOM (MQTT keeps U+FEFF), or undefined where the
 * engine has none or its decoder is not really strict. Call it per instance, not at module load.
 */
export function nativeStrictUtf8Decoder(): NativeUtf8Decoder | undefined {
  if (typeof TextDecoder !== 'function') return undefined;
  try {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    // Trust it only if it really is strict: an overlong '/' must throw.
    try {
      decoder.decode(new Uint8Array([0xc0, 0xaf]));
    } catch {
      return decoder;
    }
  } catch {
    // no usable TextDecoder
  }
  return undefined;
}
