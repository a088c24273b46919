/**
 * Strong random bytes on the simulator platforms: the OS's CSPRNG through a one-function native
 * (sim/modentropy.c: getrandom(2) on Linux, arc4random_buf(3) on macOS, rand_s on Windows). The
 * SDK offers none there: Math.random is the C library's rand(), never seeded by XS, and the
 * `rng` module (crypt/etc/rng) is RC4 seeded from the same rand(). On esp32 the manifest maps
 * this module name to esp32/entropy (the chip's hardware RNG).
 */
export function fillRandom(this: unknown, out: Uint8Array): void {
  native('xs_thermo_random_fill').call(this, out);
}
