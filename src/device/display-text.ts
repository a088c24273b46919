/**
 * Text from the cloud, made safe for a small screen: UTF-8 decoded with invalid sequences
 * replaced by U+FFFD, control characters stripped (C0, DEL, C1; tab and newlines become a
 * space), and truncated to a bound on code points (never inside a surrogate pair) with '…'.
 *
 * The decoder is our own, not TextDecoder, so that every engine replaces exactly the same way.
 */

const REPLACEMENT = 0xfffd;

/** Decodes UTF-8, replacing each maximal invalid subpart with U+FFFD (WHATWG behaviour). */
export function decodeUtf8(bytes: Uint8Array): string {
  const codes: number[] = [];
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b0 = bytes[i];
    if (b0 < 0x80) {
      codes.push(b0);
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      if (b0 === 0xe0) lower = 0xa0;
      if (b0 === 0xed) upper = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      if (b0 === 0xf0) lower = 0x90;
      if (b0 === 0xf4) upper = 0x8f;
    } else {
      codes.push(REPLACEMENT);
      i++;
      continue;
    }
    i++;
    let ok = true;
    for (let k = 0; k < need; k++) {
      const b = i < n ? bytes[i] : -1;
      if (b < lower || b > upper) {
        ok = false;
        break;
      }
      lower = 0x80;
      upper = 0xbf;
      cp = (cp << 6) | (b & 0x3f);
      i++;
    }
    codes.push(ok ? cp : REPLACEMENT);
  }
  let out = '';
  for (let k = 0; k < codes.length; k += 4096) out += String.fromCodePoint(...codes.slice(k, k + 4096));
  return out;
}

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
  return sanitizeText(decodeUtf8(bytes), maxChars);
}
