/**
 * SHA-1 (FIPS 180-4, section 6.1), for the one place RFC 6455 needs it: checking the server's
 * Sec-WebSocket-Accept (section 4.2.2: base64(SHA-1(key + GUID))). Not for security: SHA-1 is
 * broken for collisions, and the accept value only proves the server speaks WebSocket.
 *
 * Written out rather than asked of the Host: it runs once per connection on about 60 bytes, the
 * Host's Crypto stays a single primitive (HMAC-SHA256), and the same code is checked in XS.
 */

/** SHA-1 digest of `data`: 20 bytes. Allocates a 320-byte schedule per call. */
export function sha1(data: Uint8Array): Uint8Array {
  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;
  const w = new Uint32Array(80);
  const length = data.length;
  // Message, 0x80, zeros, 64-bit big-endian bit length, padded to a multiple of 64 bytes.
  const blocks = Math.floor((length + 8) / 64) + 1;
  for (let block = 0; block < blocks; block++) {
    for (let i = 0; i < 16; i++) {
      let word = 0;
      for (let j = 0; j < 4; j++) word = (word << 8) | paddedByte(data, block * 64 + i * 4 + j, blocks * 64);
      w[i] = word;
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) >>> 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) >>> 0;
    h1 = (h1 + b) >>> 0;
    h2 = (h2 + c) >>> 0;
    h3 = (h3 + d) >>> 0;
    h4 = (h4 + e) >>> 0;
  }
  const out = new Uint8Array(20);
  const view = new DataView(out.buffer);
  view.setUint32(0, h0);
  view.setUint32(4, h1);
  view.setUint32(8, h2);
  view.setUint32(12, h3);
  view.setUint32(16, h4);
  return out;
}

/** Byte `index` of the padded message of `total` bytes. */
function paddedByte(data: Uint8Array, index: number, total: number): number {
  const length = data.length;
  if (index < length) return data[index];
  if (index === length) return 0x80;
  const fromEnd = total - 1 - index; // 0 = last byte
  if (fromEnd >= 8) return 0;
  // Bit length = length * 8, big-endian over the last 8 bytes; lengths stay below 2^53.
  const bits = length * 8;
  return Math.floor(bits / 2 ** (8 * fromEnd)) % 256;
}
