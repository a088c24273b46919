/** Shared (Node + XS): how many sensors a fixed XS heap holds, and the cap on maxSensors that follows (src/device/heap-budget). */
import type { Suite } from '../harness';
import { admittedSensors, DEVICE_HEAP_BUDGET, deviceHeapBudget, LANE_WINDOW, sensorsHeapHolds } from '../../src/device/heap-budget';

/** The two configurations the Moddable lane runs whole (firmware.lane, many-sensors.lane), as the device's own heap. */
const ESP32_DEFAULT = { slots: 4928, chunkBytes: 78_848 };
const LANE_24 = { slots: 4928 + 2048, chunkBytes: 78_848 + 24_576 };

export const suite: Suite = {
  name: 'device/heap-budget',
  cases: [
    {
      name: 'the budget goes through both lane-proven heaps: 8 sensors in the ESP32 default, 24 with 2,048 slots and 24 KB more',
      run: (t) => {
        t.equal(sensorsHeapHolds(ESP32_DEFAULT), 8);
        t.equal(sensorsHeapHolds(LANE_24), 24);
        // One slot or one byte less and the 8th (24th) sensor's peak no longer fits.
        t.equal(sensorsHeapHolds({ ...ESP32_DEFAULT, slots: ESP32_DEFAULT.slots - 1 }), 7);
        t.equal(sensorsHeapHolds({ ...LANE_24, chunkBytes: LANE_24.chunkBytes - 1 }), 23);
        return [sensorsHeapHolds(ESP32_DEFAULT), sensorsHeapHolds(LANE_24)];
      },
    },
    {
      name: 'the scarcer heap decides: plenty of slots do not make up for too little chunk, nor the other way round',
      run: (t) => {
        const manySlots = { slots: 100_000, chunkBytes: ESP32_DEFAULT.chunkBytes };
        const muchChunk = { slots: ESP32_DEFAULT.slots, chunkBytes: 10_000_000 };
        t.equal(sensorsHeapHolds(manySlots), 8);
        t.equal(sensorsHeapHolds(muchChunk), 8);
        t.equal(sensorsHeapHolds({ slots: 0, chunkBytes: 0 }), 0);
        t.equal(sensorsHeapHolds({ slots: DEVICE_HEAP_BUDGET.base.slots - 1, chunkBytes: 10_000_000 }), 0);
        return [sensorsHeapHolds(manySlots), sensorsHeapHolds(muchChunk)];
      },
    },
    {
      name: 'maxSensors within the heap stands as configured, with no refusal',
      run: (t) => {
        for (const n of [1, 3, 8]) {
          const a = admittedSensors(n, ESP32_DEFAULT);
          t.equal(a.maxSensors, n);
          t.equal(a.refusal, undefined);
        }
        t.equal(admittedSensors(24, LANE_24).refusal, undefined);
      },
    },
    {
      name: 'maxSensors beyond the heap is lowered to what it holds, with a refusal that names both and the heap; never below 1',
      run: (t) => {
        const a = admittedSensors(24, ESP32_DEFAULT);
        t.equal(a.maxSensors, 8);
        t.ok(a.refusal !== undefined && a.refusal.indexOf('maxSensors 24') >= 0 && a.refusal.indexOf('4928 slots hold 8 sensors at 128 slots each') >= 0 && a.refusal.indexOf('78848 B of chunk hold 8 sensors at 1536 B each') >= 0 && a.refusal.indexOf('at most 8') >= 0, String(a.refusal));
        const tiny = admittedSensors(4, { slots: 1000, chunkBytes: 10_000 });
        t.equal(tiny.maxSensors, 1);
        t.ok(tiny.refusal !== undefined && tiny.refusal.indexOf('1000 slots hold 0 sensors') >= 0, String(tiny.refusal));
        return [a.maxSensors, a.refusal ?? '', tiny.maxSensors];
      },
    },
    {
      name: 'a longer analytics window costs chunk per sensor: a 600-sample window holds 1 sensor in the ESP32 default, a 16-sample one still 8, by slots',
      run: (t) => {
        t.equal(deviceHeapBudget(LANE_WINDOW), DEVICE_HEAP_BUDGET);
        const long = deviceHeapBudget(600);
        t.equal(long.perSensor.chunkBytes, 1536 + 12 * 600 - 10 * 60); // 2-byte deque indices above 256 samples
        t.equal(long.perSensor.slots, DEVICE_HEAP_BUDGET.perSensor.slots);
        t.equal(sensorsHeapHolds(ESP32_DEFAULT, long), 1);
        const a = admittedSensors(8, ESP32_DEFAULT, long);
        t.equal(a.maxSensors, 1);
        t.ok(a.refusal !== undefined && a.refusal.indexOf('hold 1 sensor at 8136 B each') >= 0 && a.refusal.indexOf('4928 slots hold 8 sensors') >= 0, String(a.refusal));
        // Slots still bound a short window: 8 sensors by slots, more by chunk.
        t.equal(sensorsHeapHolds(ESP32_DEFAULT, deviceHeapBudget(16)), 8);
        return [long.perSensor.chunkBytes, sensorsHeapHolds(ESP32_DEFAULT, long)];
      },
    },
  ],
};
