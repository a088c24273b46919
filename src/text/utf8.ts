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
 *
 * Both string representations are handled: UTF-16 code units (V8, xsnap: a supplementary
 * character is a surrogate pair) and code points (Moddable's XS on devices and in the simulator:
 * `charCodeAt` returns the whole code point, above 0xFFFF).
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
    } else if (c < 0xd800) {
      bytes += 2;
    } else if (c > 0xdfff) {
      bytes += c > 0xffff ? 3 : 2; // a code point above the BMP is one character on Moddable
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
 * garbage) and sized `out`. Does not allocate. Both string representations (see utf8Length).
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
    } else if (c < 0xd800 || (c > 0xdfff && c < 0x10000)) {
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    } else {
      // A code point above the BMP: one character on Moddable, else a surrogate pair (the
      // caller's utf8Length ruled out lone surrogates; not re-checked here: that costs XS ~25
      // computrons a pair on the no-TextEncoder path).
      if (c < 0x10000) c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
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
 *
 * Stack and heap stay bounded whatever the input's size: characters go through a fixed buffer of
 * CHUNK UTF-16 units handed to String.fromCharCode a chunk at a time (an argument list is stack:
 * the ESP32 has 896 slots), never a per-character array. A supplementary character is passed as
 * its surrogate pair in one call, which XS on Moddable joins into one code point.
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
  const out = new StringBuilder();
  if (i > start) out.append(asciiString(bytes, start, i));
  while (i < end) {
    const b = bytes[i];
    if (b < 0x80) {
      if (b === 0) nul = true;
      out.unit(b);
      i++;
      continue;
    }
    const need = sequenceLength(bytes, i, end);
    if (need > 0) {
      const cp = codePoint(bytes, i, need);
      if (cp > 0xffff) out.pair(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
      else out.unit(cp);
      i += need;
      continue;
    }
    if (!lenient) return UTF8_INVALID;
    out.unit(REPLACEMENT);
    i += invalidSubpart(bytes, i, end);
  }
  return nul && rejectNul ? UTF8_NUL : out.finish();
}

/**
 * Length (2..4) of the valid UTF-8 sequence whose lead byte (>= 0x80) is at bytes[i], or 0 when
 * none starts there: a continuation byte as lead, C0/C1 or F5..FF, a truncated sequence, an
 * overlong form, a surrogate or a code point above U+10FFFF (WHATWG's bounds on the second byte).
 */
function sequenceLength(bytes: Uint8Array, i: number, end: number): number {
  const b = bytes[i];
  const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
  if (need === 0 || i + need >= end) return 0;
  const second = bytes[i + 1];
  const lower = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
  const upper = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
  if (second < lower || second > upper) return 0;
  for (let k = 2; k <= need; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return 0;
  return need + 1;
}

/** The code point of the valid `length`-byte sequence at bytes[i]. */
function codePoint(bytes: Uint8Array, i: number, length: number): number {
  let cp = bytes[i] & (length === 2 ? 0x1f : length === 3 ? 0x0f : 0x07);
  for (let k = 1; k < length; k++) cp = (cp << 6) | (bytes[i + k] & 0x3f);
  return cp;
}

/**
 * Builds a string from UTF-16 units with bounded stack and O(n) work: units collect in a fixed
 * buffer, each full buffer becomes a short string (fromCharCode over CHUNK arguments), and the
 * short strings are joined in a second level so the result is copied O(n / PART) times, not once
 * a chunk.
 */
class StringBuilder {
  private readonly units = new Uint16Array(CHUNK);
  private count = 0;
  private part = '';
  private done = '';

  unit(u: number): void {
    if (this.count === CHUNK) this.flush();
    this.units[this.count++] = u;
  }

  /** A surrogate pair, kept in one fromCharCode call (XS on Moddable joins it there). */
  pair(high: number, low: number): void {
    if (this.count >= CHUNK - 1) this.flush();
    this.units[this.count++] = high;
    this.units[this.count++] = low;
  }

  append(text: string): void {
    this.flush();
    this.addPart(text);
  }

  finish(): string {
    this.flush();
    return this.done + this.part;
  }

  private flush(): void {
    if (this.count === 0) return;
    this.addPart(String.fromCharCode.apply(null, this.units.subarray(0, this.count) as unknown as number[]));
    this.count = 0;
  }

  private addPart(text: string): void {
    this.part += text;
    if (this.part.length >= PART) {
      this.done += this.part;
      this.part = '';
    }
  }
}

/** Strict decoding for callers that treat bad bytes as an error: throws RangeError. */
export function decodeUtf8OrThrow(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const text = decodeUtf8(bytes, start, end);
  if (typeof text !== 'string') throw new RangeError('invalid UTF-8 (malformed or truncated sequence)');
  return text;
}

/**
 * Decodes with each maximal invalid subpart replaced by U+FFFD (WHATWG). Never fails. Uses the
 * engine's non-fatal TextDecoder where there is one (native: no JS work per character, which
 * matters for a 64 KB C2D message in XS), else the hand-written decoder.
 */
export function decodeUtf8Lenient(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (typeof TextDecoder === 'function') {
    try {
      const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
      // Trust it only if it replaces as WHATWG says: some XS versions give one U+FFFD for an
      // encoded surrogate (ED A0 80) where WHATWG gives three.
      if (decoder.decode(new Uint8Array([0xed, 0xa0, 0x80])) === '\ufffd\ufffd\ufffd') return decoder.decode(bytes.subarray(start, end));
    } catch {
      // fall through to the hand-written decoder
    }
  }
  return decodeUtf8(bytes, start, end, false, true) as string;
}

/**
 * Most arguments handed to String.fromCharCode at once: an argument list lives on XS's stack, and
 * the ESP32's is 896 slots for everything (1,024 arguments overflowed it).
 */
const CHUNK = 64;
/** Characters gathered before they are appended to the result (see StringBuilder). */
const PART = 2048;

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

/** Bytes known to be ASCII to a string, CHUNK characters per fromCharCode call. */
function asciiString(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= CHUNK) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  const out = new StringBuilder();
  for (let i = start; i < end; i += CHUNK) {
    const stop = i + CHUNK < end ? i + CHUNK : end;
    out.append(String.fromCharCode.apply(null, bytes.subarray(i, stop) as unknown as number[]));
  }
  return out.finish();
}

/** The part of TextEncoder the fast paths use. */
export interface NativeUtf8Encoder {
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
  encode(source: string): Uint8Array;
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
