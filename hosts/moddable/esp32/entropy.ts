/**
 * Strong random bytes on ESP32: esp_fill_random() through a one-function native
 * (modentropy.c), the chip's hardware RNG (ESP-IDF "Random Number Generation": true random
 * numbers while Wi-Fi or Bluetooth runs, which the firmware's network needs anyway).
 */
export function fillRandom(this: unknown, out: Uint8Array): void {
  native('xs_thermo_random_fill').call(this, out);
}
