/**
 * Percent-encoding exactly like ECMAScript's encodeURIComponent / decodeURIComponent.
 *
 * IoT Hub signs the URL-encoded resource URI and carries message properties percent-encoded in
 * topic names; both sides must agree byte for byte. XS has the builtins, but this module pins
 * the behaviour (and the shared test suite checks it against the builtins in both engines).
 * Kept: A-Z a-z 0-9 - _ . ! ~ * ' ( ). Everything else is UTF-8 then %XX (upper-case hex).
 */
import { decodeUtf8, utf8Length, writeUtf8 } from '../text/utf8';

const HEX = '0123456789ABCDEF';

/** Thrown for text that cannot be encoded (lone surrogate) or decoded (bad escapes, bad UTF-8). */
export class UrlEncodingError extends Error {
  override name = 'UrlEncodingError';
}

function isUnreserved(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 48 && c <= 57) || // 0-9
    c === 45 || c === 95 || c === 46 || c === 33 || c === 126 || c === 42 || c === 39 || c === 40 || c === 41
  );
}

/** True when urlEncode(text) === text: the common case, checked without allocating. */
export function isUrlSafe(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isUnreserved(text.charCodeAt(i))) return false;
  return true;
}

export function urlEncode(text: string): string {
  if (isUrlSafe(text)) return text;
  let out = '';
  let runStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isUnreserved(c)) continue;
    if (runStart < i) out += text.slice(runStart, i);
    if (c < 0x80) {
      out += '%' + HEX[c >> 4] + HEX[c & 15];
      runStart = i + 1;
      continue;
    }
    // One character (or surrogate pair) to UTF-8, then escape each byte.
    const pair = c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    const ch = text.slice(i, i + pair);
    const n = utf8Length(ch);
    if (n < 0) throw new UrlEncodingError('text contains a lone surrogate and cannot be URL-encoded');
    const bytes = new Uint8Array(n);
    writeUtf8(ch, bytes, 0);
    for (let k = 0; k < n; k++) out += '%' + HEX[bytes[k] >> 4] + HEX[bytes[k] & 15];
    i += pair - 1;
    runStart = i + 1;
  }
  if (runStart < text.length) out += text.slice(runStart);
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Decodes %XX escapes (UTF-8) in text[start, end). '+' stays '+', as in decodeURIComponent.
 * Throws UrlEncodingError for a malformed escape or invalid UTF-8.
 */
export function urlDecode(text: string, start = 0, end = text.length): string {
  const first = text.indexOf('%', start);
  if (first < 0 || first >= end) return start === 0 && end === text.length ? text : text.slice(start, end);
  let out = text.slice(start, first);
  let i = first;
  let bytes: Uint8Array | undefined;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c !== 37) {
      const next = text.indexOf('%', i);
      const stop = next < 0 || next > end ? end : next;
      out += text.slice(i, stop);
      i = stop;
      continue;
    }
    // A run of escapes is one UTF-8 byte sequence.
    let n = 0;
    let j = i;
    while (j < end && text.charCodeAt(j) === 37) {
      j += 3;
      n++;
    }
    if (!bytes || bytes.length < n) bytes = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      const p = i + 3 * k;
      if (p + 2 >= end) throw new UrlEncodingError('truncated %-escape');
      const hi = hexValue(text.charCodeAt(p + 1));
      const lo = hexValue(text.charCodeAt(p + 2));
      if (hi < 0 || lo < 0) throw new UrlEncodingError('malformed %-escape');
      bytes[k] = (hi << 4) | lo;
    }
    const decoded = decodeUtf8(bytes, 0, n);
    if (typeof decoded !== 'string') throw new UrlEncodingError('%-escapes are not valid UTF-8');
    out += decoded;
    i = j;
  }
  return out;
}
