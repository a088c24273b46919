import { isWhiteSpace } from './white-space';

/**
 * PEM armour (RFC 7468): the base64 bodies of the `-----BEGIN label-----` ... `-----END label-----`
 * blocks in a text, in order, with whitespace removed; the whole text, whitespace removed, when it
 * has no armour (a bare base64 body). Loops, no RegExp: mcsim's XS crashed in RegExp exec
 * (src/onewire/rom.ts isRomHex). A BEGIN without its END throws an Error.
 */
export function pemBodies(text: string): string[] {
  const bodies: string[] = [];
  let from = 0;
  for (;;) {
    const begin = text.indexOf('-----BEGIN ', from);
    if (begin < 0) break;
    const bodyStart = text.indexOf('-----', begin + 11);
    const end = bodyStart < 0 ? -1 : text.indexOf('-----END ', bodyStart + 5);
    const close = end < 0 ? -1 : text.indexOf('-----', end + 9);
    if (close < 0) throw new Error('PEM: a BEGIN line without its END line');
    bodies.push(withoutWhitespace(text.slice(bodyStart + 5, end)));
    from = close + 5;
  }
  return bodies.length > 0 ? bodies : [withoutWhitespace(text)];
}

/** `text` without white space (RFC 7468 allows it between base64 characters; removed as `\s` did). */
function withoutWhitespace(text: string): string {
  let out = '';
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    if (isWhiteSpace(text.charCodeAt(i))) {
      out += text.slice(run, i);
      run = i + 1;
    }
  }
  return out + text.slice(run);
}
