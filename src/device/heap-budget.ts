/**
 * How many tracked sensors a fixed XS heap holds (issue 11). On Moddable's runtime the heap is
 * fixed when the machine is created (the manifest's `creation`: slots, chunk bytes); when a
 * collection cannot free what an allocation needs, XS aborts ("Slot allocation failed") and an
 * ESP32 restarts into the same state: a crash loop. So the firmware takes on no more sensors than
 * its heap holds at its peaks (the names patch from the twin, a getStats answer, a reconnect's
 * TLS handshake), and refuses the rest with a reason, as it refuses sensors over maxSensors.
 *
 * The budget is linear in sensors (each tracked sensor has the same state and the same share of
 * each message) and is set through two configurations the Moddable lane runs whole, every
 * scenario included: 8 sensors in the ESP32's default heap (4,928 slots, 78,848 B: firmware.lane)
 * and 24 sensors in 2,048 slots and 24,576 B more (many-sensors.lane). Counts are XS slots, the
 * same on the ESP32 (16 B each) and a 64-bit simulator (32 B); chunk bytes are the 64-bit
 * simulator's, which are no fewer than the ESP32's. Figures: hosts/moddable/README.md, "Memory".
 */

import { windowStatsBytes } from '../analytics/window-stats';

/** An XS heap: `slots` (count) and `chunkBytes` (bytes). */
export interface HeapSize {
  slots: number;
  chunkBytes: number;
}

/** What the application takes with no sensor (`base`) and what each tracked sensor adds (`perSensor`), peaks included. */
export interface HeapBudget {
  base: HeapSize;
  perSensor: HeapSize;
}

/** The analytics window (samples per sensor) the lanes run, for which DEVICE_HEAP_BUDGET holds as it stands. */
export const LANE_WINDOW = 60;

/** The device application's budget on Moddable's XS with the lanes' window, through the two lane configurations above. */
export const DEVICE_HEAP_BUDGET: HeapBudget = Object.freeze({
  base: Object.freeze({ slots: 3904, chunkBytes: 66_560 }),
  perSensor: Object.freeze({ slots: 128, chunkBytes: 1536 }),
});

/**
 * DEVICE_HEAP_BUDGET for an analytics window of `window` samples (config analyticsWindow): each
 * sensor's chunk share moves by what its window's buffer takes more or less than at LANE_WINDOW
 * (windowStatsBytes: 10 B a sample up to 256 samples, 12 B above; test/device/heap-budget.test.ts
 * checks it against the device's analytics on xs-device). A window of 600 costs 6.6 KB more per
 * sensor, so the ESP32's default heap then holds 1 sensor, not 8.
 */
export function deviceHeapBudget(window: number): HeapBudget {
  if (window === LANE_WINDOW) return DEVICE_HEAP_BUDGET;
  const perSensor = DEVICE_HEAP_BUDGET.perSensor;
  return {
    base: DEVICE_HEAP_BUDGET.base,
    perSensor: { slots: perSensor.slots, chunkBytes: perSensor.chunkBytes + windowStatsBytes(window) - windowStatsBytes(LANE_WINDOW) },
  };
}

/**
 * The number of sensors (≥ 0, an integer) whose peaks fit `heap` by `budget`: the smaller of what
 * the slots and the chunk heap allow. `heap` is the machine's own (hosts/moddable/heap.ts) less
 * anything it holds that is not the application's (the simulators' sensor models).
 */
export function sensorsHeapHolds(heap: HeapSize, budget: HeapBudget = DEVICE_HEAP_BUDGET): number {
  return holdsBoth(heldBy(heap, budget));
}

/** Sensors both heaps hold (≥ 0). */
function holdsBoth(held: HeapSize): number {
  return Math.max(0, Math.min(held.slots, held.chunkBytes));
}

/** How many sensors each of the two heaps holds on its own (may be negative). */
function heldBy(heap: HeapSize, budget: HeapBudget): HeapSize {
  return {
    slots: Math.floor((heap.slots - budget.base.slots) / budget.perSensor.slots),
    chunkBytes: Math.floor((heap.chunkBytes - budget.base.chunkBytes) / budget.perSensor.chunkBytes),
  };
}

/**
 * `maxSensors` as configured, or fewer where the heap holds fewer, but at least 1 (a thermometer
 * that tracks nothing is no use; a heap too small for one sensor is a build to fix, and the
 * refusal says so). `refusal` says why it was lowered, for the log; undefined when not.
 */
export function admittedSensors(maxSensors: number, heap: HeapSize, budget: HeapBudget = DEVICE_HEAP_BUDGET): { maxSensors: number; refusal?: string } {
  const held = heldBy(heap, budget);
  const holds = holdsBoth(held);
  if (maxSensors <= holds) return { maxSensors };
  const admitted = Math.max(1, holds);
  const each = (n: number, per: number, unit: string): string => `${Math.max(0, n)} sensor${n === 1 ? '' : 's'} at ${per}${unit} each`;
  return {
    maxSensors: admitted,
    refusal:
      `maxSensors ${maxSensors} is more than this heap holds: ${heap.slots} slots hold ${each(held.slots, budget.perSensor.slots, ' slots')}, ` +
      `${heap.chunkBytes} B of chunk hold ${each(held.chunkBytes, budget.perSensor.chunkBytes, ' B')}; tracking at most ${admitted} ` +
      `(raise the manifest's creation sizes: hosts/moddable/README.md, "Memory")`,
  };
}
