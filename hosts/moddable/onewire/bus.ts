import type { HeapSize } from '../../../src/device/heap-budget';
import type { OneWireBus } from '../../../src/platform';
import { SIMULATED_SENSOR_XS_HEAP, SimulatedOneWireBus } from '../../../simulator/hardware/onewire-bus';
import { parseFaultSchedule, ScheduledFaultBus } from './fault-schedule';

/** What this bus's own `sensors` models take of the XS heap (SIMULATED_SENSOR_XS_HEAP each), which a device does not hold. */
export function busModelsHeap(sensors: number): HeapSize {
  return { slots: sensors * SIMULATED_SENSOR_XS_HEAP.slots, chunkBytes: sensors * SIMULATED_SENSOR_XS_HEAP.chunkBytes };
}

/** Ambient °C of the first simulated sensors; the first one drifts slowly. */
const SIMULATED_AMBIENT = Object.freeze([21, 22.5, 24]);

/**
 * The 1-Wire bus on the simulator platforms (lin, mac, win): the platform-neutral simulated
 * bus from simulator/hardware/ with `sensors` DS18B20s (config simSensors, default three) whose thermal model runs on the host's
 * monotonic clock (real time), so conversions take their real tCONV. On esp32 the manifest
 * maps this module name to onewire/esp32/bus instead, which drives a GPIO.
 */
export function openOneWireBus(_pin: number, now: () => number, sensors = 3, faults = ''): OneWireBus | undefined {
  const bus = new SimulatedOneWireBus({ seed: 1, now });
  for (let i = 0; i < sensors; i++) {
    const ambient = i < SIMULATED_AMBIENT.length ? SIMULATED_AMBIENT[i]! : 19 + (i % 12) * 0.5;
    bus.addSensor({ thermal: { ambient, noise: 0.05, driftPerHour: i === 0 ? 0.5 : 0 } });
  }
  // A test build's fault schedule (config simFaults, fault-schedule.ts); none in the shipped firmware.
  if (faults.trim() === '') return bus;
  return new ScheduledFaultBus(bus, parseFaultSchedule(faults), now, (line) => trace(`${line}\n`));
}
