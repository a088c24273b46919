/**
 * The analytics XS benchmark, smaller: computrons are deterministic, so the O(1) and
 * allocation-free goals are asserted here, not timed.
 */
import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES_PER_SENSOR_MAX, DEVICE_APP_SLOTS_PER_SENSOR_MAX, DEVICE_CHUNK_BYTES_PER_SENSOR_MAX, measure, SLOTS_PER_SENSOR_MAX, WINDOWS } from '../../bench/analytics';

describe('analytics in XS', () => {
  const bench = measure(6000, 10);

  it('costs the same per sample whatever the window (4096 vs 16 within 5%)', () => {
    for (const w of WINDOWS) expect(bench.computronsPerSample[w]).toBeGreaterThan(100);
    expect(bench.ratio4096to16).toBeLessThanOrEqual(1.05);
    expect(bench.computronsPerSample['256'] / bench.computronsPerSample['16']).toBeLessThanOrEqual(1.05);
  });

  it('beats the naive O(window) recomputation at large windows', () => {
    expect(bench.naiveComputronsPerSample['4096']).toBeGreaterThan(50 * bench.computronsPerSample['4096']);
  });

  it('allocates nothing per sample and leaves no heap growth', () => {
    for (const w of WINDOWS) {
      expect(bench.perWindow[w].pushHeapDeltaSlots, `window ${w}`).toBe(0);
      expect(bench.perWindow[w].heapGrowthSlots, `window ${w}`).toBe(0);
    }
    expect(bench.ok).toBe(true);
  });

  // Deterministic (live slots after gc on the xs-device engine): a regression in memory per sensor fails here.
  it(`keeps a sensor's analytics (window 60) within ${SLOTS_PER_SENSOR_MAX} XS slots and ${CHUNK_BYTES_PER_SENSOR_MAX} B of typed arrays (device: ${DEVICE_CHUNK_BYTES_PER_SENSOR_MAX} B)`, () => {
    const m = bench.memory;
    expect(m.slotsPerSensor).toBeGreaterThan(0);
    expect(m.slotsPerSensor).toBeLessThanOrEqual(SLOTS_PER_SENSOR_MAX);
    // The window's two rings alone: 60 Float32 values and 60 Int32 time offsets.
    expect(m.chunkBytesPerSensor).toBeGreaterThan(60 * 4 * 2);
    expect(m.chunkBytesPerSensor).toBeLessThanOrEqual(CHUNK_BYTES_PER_SENSOR_MAX);
    // The device's own per-sensor analytics (windowAnalytics) share the detector settings too.
    expect(m.deviceSlotsPerSensor).toBeLessThanOrEqual(60);
    // Issue #11: 24 sensors' analytics in the ESP32's 78,848 B chunk heap (1,952 B each with Float64 rings).
    expect(m.deviceChunkBytesPerSensor).toBeGreaterThan(60 * 4 * 2);
    expect(m.deviceChunkBytesPerSensor).toBeLessThanOrEqual(DEVICE_CHUNK_BYTES_PER_SENSOR_MAX);
  });

  it(`keeps the whole device application within ${DEVICE_APP_SLOTS_PER_SENSOR_MAX} XS slots per sensor`, () => {
    expect(bench.memory.deviceAppSlotsPerSensor).toBeGreaterThan(bench.memory.deviceSlotsPerSensor);
    expect(bench.memory.deviceAppSlotsPerSensor).toBeLessThanOrEqual(DEVICE_APP_SLOTS_PER_SENSOR_MAX);
  });
});
