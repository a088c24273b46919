import type { OneWireBus } from '../../../src/platform';
import { SimulatedOneWireBus } from '../../../simulator/hardware/onewire-bus';

/** Sensors on the simulated bus: ambient °C of each; the first one drifts slowly. */
const SIMULATED_AMBIENT = Object.freeze([21, 22.5, 24]);

/**
 * The 1-Wire bus on the simulator platforms (lin, mac, win): the platform-neutral simulated
 * bus from simulator/hardware/ with three DS18B20s whose thermal model runs on the host's
 * monotonic clock (real time), so conversions take their real tCONV. On esp32 the manifest
 * maps this module name to onewire/esp32/bus instead, which drives a GPIO.
 */
export function openOneWireBus(_pin: number, now: () => number): OneWireBus | undefined {
  const bus = new SimulatedOneWireBus({ seed: 1, now });
  for (let i = 0; i < SIMULATED_AMBIENT.length; i++) {
    bus.addSensor({ thermal: { ambient: SIMULATED_AMBIENT[i]!, noise: 0.05, driftPerHour: i === 0 ? 0.5 : 0 } });
  }
  return bus;
}
