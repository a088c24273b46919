/**
 * ECMAScript's WhiteSpace and LineTerminator code points (ECMA-262 sections 12.2 and 12.3): what a
 * RegExp `\s` matches, as a comparison instead of a RegExp (mcsim's XS crashed in RegExp exec:
 * src/onewire/rom.ts isRomHex). `c` is a UTF-16 code unit or a code point.
 */
export function isWhiteSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}
