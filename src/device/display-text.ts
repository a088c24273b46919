/**
 * Text from the cloud, made safe for a small screen: UTF-8 decoded with invalid sequences
 * replaced by U+FFFD, control characters stripped (C0, DEL, C1; tab and newlines become a
 * space), and truncated to a bound on code points (never inside a surrogate pair) with '…'.
 *
 * Decoding goes through ../text/utf8's decodeUtf8Lenient (the engine's TextDecoder where it
 * replaces as WHATWG says, else the hand-written decoder), so every engine shows the same text.
 * Only a prefix of a long body is decoded: a 64 KB C2D message costs no more than the screen
 * can show.
 */
import { decodeUtf8Lenient } from '../text/utf8';

function isControl(cp: number): boolean {
  return cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/** Strips control characters and truncates to `maxChars` code points (including the '…'). */
export function sanitizeText(text: string, maxChars: number): string {
  let out = '';
  let count = 0;
  let truncated = false;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    let c = ch;
    if (isControl(cp)) {
      if (cp === 0x09 || cp === 0x0a || cp === 0x0d) c = ' ';
      else continue;
    }
    if (count >= maxChars) {
      truncated = true;
      break;
    }
    out += c;
    count++;
  }
  if (truncated && maxChars > 0) {
    // Replace the last kept code point with the ellipsis.
    const chars = Array.from(out);
    chars[chars.length - 1] = '…';
    out = chars.join('');
  }
  return out.trim();
}

/**
 * Bytes from the cloud to display text of at most `maxChars` code points. Decodes at most
 * 4 * (maxChars + 1) bytes (a code point is at most 4 bytes); a longer body ends with '…'.
 */
export function displayText(bytes: Uint8Array, maxChars: number): string {
  const limit = 4 * (maxChars + 1);
  if (bytes.length <= limit) return sanitizeText(decodeUtf8Lenient(bytes), maxChars);
  const text = sanitizeText(decodeUtf8Lenient(bytes, 0, limit), maxChars);
  return text.endsWith('…') ? text : sanitizeText(text + '…', maxChars);
}
