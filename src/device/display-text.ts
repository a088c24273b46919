/**
 * Text from the cloud, made safe for a small screen: UTF-8 decoded with invalid sequences
 * replaced by U+FFFD, control characters stripped (C0, DEL, C1; tab and newlines become a
 * space), and truncated to a bound on code points (never inside a surrogate pair) with '…'.
 *
 * The decoder is the hand-written one in ../text/utf8, not TextDecoder, so that every engine
 * replaces exactly the same way.
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

/** Bytes from the cloud to display text. */
export function displayText(bytes: Uint8Array, maxChars: number): string {
  return sanitizeText(decodeUtf8Lenient(bytes), maxChars);
}
