import { Digest } from 'crypt';
import type { Crypto } from '../../src/platform';
import { fillRandom } from './entropy';

const BLOCK = 64;

/**
 * HMAC-SHA256 (RFC 2104) over Moddable's native SHA-256 ("crypt" Digest), and strong random
 * bytes from the platform (./entropy: the ESP32's hardware RNG, the OS CSPRNG in the simulator).
 */
export class ModdableCrypto implements Crypto {
  private readonly digest = new Digest('SHA256');

  randomBytes(out: Uint8Array): void {
    fillRandom(out);
  }

  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
    const h = this.digest;
    let k = key;
    if (k.length > BLOCK) {
      h.reset();
      h.write(copy(k));
      k = new Uint8Array(h.close());
    }
    const pad = new Uint8Array(BLOCK);
    pad.set(k);
    for (let i = 0; i < BLOCK; i++) pad[i] ^= 0x36;
    h.reset();
    h.write(pad.buffer as ArrayBuffer);
    h.write(copy(data));
    const inner = h.close();
    for (let i = 0; i < BLOCK; i++) pad[i] ^= 0x36 ^ 0x5c;
    h.reset();
    h.write(pad.buffer as ArrayBuffer);
    h.write(inner);
    return new Uint8Array(h.close());
  }
}

/** Digest.write takes an ArrayBuffer; copy views so offsets and lengths are honored. */
function copy(view: Uint8Array): ArrayBuffer {
  return view.slice().buffer as ArrayBuffer;
}
