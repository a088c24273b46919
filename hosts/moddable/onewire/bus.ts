import type { OneWireBus } from '../../../src/platform';
import { SimulatedOneWireBus } from '../../../simulator/hardware/onewire-bus';

/** Ambient °C of the first simulated sensors; the first one drifts slowly. */
const SIMULATED_AMBIENT = Object.freeze([21, 22.5, 24]);

/**
 * The 1-Wire bus on the simulator platforms (lin, mac, win): the platform-neutral simulated
 * bus from simulator/hardware/ with `sensors` DS18B20s (config simSensors, default three) whose thermal model runs on the host's
 * monotonic clock (real time), so conversions take their real tCONV. On esp32 the manifest
 * maps this module name to onewire/esp32/bus instead, which drives a GPIO.
 */
export function openOneWireBus(_pin: number, now: () => number, sensors = 3): OneWireBus | undefined {
  const bus = new SimulatedOneWireBus({ seed: 1, now });
  for (let i = 0; i < sensors; i++) {
    const ambient = i < SIMULATED_AMBIENT.length ? SIMULATED_AMBIENT[i]! : 19 + (i % 12) * 0.5;
    bus.addSensor({ thermal: { ambient, noise: 0.05, driftPerHour: i === 0 ? 0.5 : 0 } });
  }
  return bus;
}
