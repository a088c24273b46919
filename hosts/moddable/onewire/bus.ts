import type { OneWireBus } from '../../../src/platform';

/**
 * The 1-Wire bus on the simulator platforms (lin, mac, win): the simulated bus with DS18B20s
 * from simulator/hardware/. On esp32 the manifest maps this module name to
 * onewire/esp32/bus instead, which drives a GPIO.
 *
 * simulator/hardware/ is being written; until it exports its bus this returns undefined and
 * the firmware runs without sensors.
 */
export function openOneWireBus(_pin: number): OneWireBus | undefined {
  return undefined;
}
