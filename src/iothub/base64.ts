/**
 * Base64 (RFC 4648, standard alphabet, padded), as IoT Hub uses for keys and signatures.
 * Written out because XS has no atob/btoa. No lookup tables: module-level arrays would be
 * mutable state, and the arithmetic below is just as short.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Thrown for malformed input. The message never quotes the input: it may be a secret key. */
export class Base64Error extends Error {
  override name = 'Base64Error';
}

export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[v >> 18] + ALPHABET[(v >> 12) & 63] + ALPHABET[(v >> 6) & 63] + ALPHABET[v & 63];
  }
  if (n - i === 1) {
    const v = bytes[i] << 16;
    out += ALPHABET[v >> 18] + ALPHABET[(v >> 12) & 63] + '==';
  } else if (n - i === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[v >> 18] + ALPHABET[(v >> 12) & 63] + ALPHABET[(v >> 6) & 63] + '=';
  }
  return out;
}

/** Value of one base64 character, or -1. */
function sextet(c: number): number {
  if (c >= 65 && c <= 90) return c - 65; // A-Z
  if (c >= 97 && c <= 122) return c - 71; // a-z
  if (c >= 48 && c <= 57) return c + 4; // 0-9
  if (c === 43) return 62; // +
  if (c === 47) return 63; // /
  return -1;
}

/**
 * Decodes padded base64. Strict: the length must be a multiple of 4, '=' only as the final
 * one or two characters, no whitespace, and unused trailing bits must be zero, so that one
 * key has exactly one spelling.
 */
export function base64Decode(text: string): Uint8Array {
  const len = text.length;
  if (len % 4 !== 0) throw new Base64Error('base64 length is not a multiple of 4');
  let pad = 0;
  if (len > 0 && text.charCodeAt(len - 1) === 61) pad = text.charCodeAt(len - 2) === 61 ? 2 : 1;
  const out = new Uint8Array((len / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < len; i += 4) {
    const last = i + 4 === len;
    const a = sextet(text.charCodeAt(i));
    const b = sextet(text.charCodeAt(i + 1));
    const c = last && pad === 2 ? 0 : sextet(text.charCodeAt(i + 2));
    const d = last && pad >= 1 ? 0 : sextet(text.charCodeAt(i + 3));
    if (a < 0 || b < 0 || c < 0 || d < 0) throw new Base64Error(`invalid base64 character near position ${i}`);
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    if (last && pad === 2 && (v & 0xffff) !== 0) throw new Base64Error('non-canonical base64 padding');
    if (last && pad === 1 && (v & 0xff) !== 0) throw new Base64Error('non-canonical base64 padding');
    out[o++] = v >> 16;
    if (o < out.length) out[o++] = (v >> 8) & 0xff;
    if (o < out.length) out[o++] = v & 0xff;
  }
  return out;
}
