/**
 * UTF-8 encoding and decoding without TextEncoder/TextDecoder, so the SAS and topic code runs
 * the same on every host. Lone surrogates are refused, as encodeURIComponent refuses them:
 * a signature over a silently replaced character would fail on the hub with no clue why.
 */

/** Number of UTF-8 bytes `text` needs. Throws on a lone surrogate. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) throw new RangeError('lone surrogate in text');
      n += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) throw new RangeError('lone surrogate in text');
    else n += 3;
  }
  return n;
}

/**
 * Writes `text` as UTF-8 into `out` at `offset`; returns the offset after the last byte.
 * The caller sizes `out` with utf8Length.
 */
export function writeUtf8(text: string, out: Uint8Array, offset: number): number {
  let o = offset;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
    } else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = text.charCodeAt(i + 1);
      if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) throw new RangeError('lone surrogate in text');
      c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      i++;
      out[o++] = 0xf0 | (c >> 18);
      out[o++] = 0x80 | ((c >> 12) & 0x3f);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    } else {
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o;
}

export function encodeUtf8(text: string): Uint8Array {
  const out = new Uint8Array(utf8Length(text));
  writeUtf8(text, out, 0);
  return out;
}

/**
 * Decodes UTF-8 from `bytes[start, end)`. Strict: overlong forms, surrogates, code points
 * above U+10FFFF and truncated sequences throw, so a caller can tell garbage from text.
 */
export function decodeUtf8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let text = '';
  let i = start;
  while (i < end) {
    const b = bytes[i];
    if (b < 0x80) {
      // Runs of ASCII are the common case: convert them in chunks (XS has a small native stack: keep the argument count low).
      let j = i + 1;
      const limit = Math.min(end, i + 128);
      while (j < limit && bytes[j] < 0x80) j++;
      text += String.fromCharCode.apply(null, Array.prototype.slice.call(bytes, i, j) as number[]);
      i = j;
      continue;
    }
    let need: number;
    let cp: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0x0f; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x07; min = 0x10000; }
    else throw new RangeError('invalid UTF-8');
    if (i + need >= end) throw new RangeError('truncated UTF-8');
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) throw new RangeError('invalid UTF-8');
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new RangeError('invalid UTF-8');
    text += String.fromCodePoint(cp);
    i += need + 1;
  }
  return text;
}
