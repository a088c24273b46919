/**
 * Analytics cost in XS computrons per sample (push + window stats + EWMA + rate + anomaly check
 * + period aggregate), for windows of 16, 256 and 4096, and XS heap growth over the run.
 *
 * Per window: fill 3 windows (past warm-up and a drift rebuild), gc, noop, noop, push N, gc.
 *   computrons/sample = (compute(push N) - compute(noop)) / N   (noop given the same arg)
 *   heapGrowthSlots   = live slots after the final gc - live slots after the first gc
 *   pushHeapDeltaSlots = slots the push command added minus slots a noop adds (no gc between:
 *                        any per-sample allocation would show here)
 * Peer: the naive O(window) recomputation (two passes per sample), measured in the same run.
 *
 * Memory per sensor (measureMemory), on the xs-device engine (Moddable's string representation,
 * the ESP32's stack; XS slots are 16 B there): create 24 SensorAnalytics (window 60, one shared
 * settings object and result, as AnalyticsRegistry makes them), gc, noop; 24 more, gc, noop:
 *   slotsPerSensor      = (live slots after the second batch - after the first) / 24
 *   chunkBytesPerSensor = bytes of the typed arrays the sensors hold / 24 (xsnap reports no live
 *                         chunk figure; a sensor's chunk is its typed arrays' contents, computed
 *                         by walking its objects)
 * and the same for the device's per-sensor analytics (windowAnalytics, window 60), for reference;
 *   deviceAppSlotsPerSensor = live slots of the whole device application (bench/budget/day.ts,
 *                         firmware profile: the app, hub and MQTT clients, simulated hub) with 16
 *                         sensors minus with 8, / 8, after 12 simulated minutes, gc (the test
 *                         host's display history dropped). Includes the simulated sensors' own
 *                         readings (a few slots each), which a real bus driver also holds.
 *
 * Goals (exit 1 if missed): ratio 4096/16 <= 1.05, zero heap growth, zero push heap delta,
 * slotsPerSensor <= 48 (229 before the state moved into typed arrays), chunkBytesPerSensor and
 * deviceChunkBytesPerSensor <= 1536 (1,984 and 1,952 before WindowStats kept its rings as
 * Float32 values and Int32 time offsets, issue #11: 24 sensors in the ESP32's 78,848 B chunk
 * heap), deviceAppSlotsPerSensor <= 100 (243 before).
 * Run: npx tsx bench/analytics.ts [--samples N]   (writes bench/results/analytics.json)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Json } from '../test/harness';
import { projectRoot, runInXs, type XsCommandResult } from '../test/xs/lane';

export const WINDOWS = [16, 256, 4096] as const;
const ENTRY = path.join(projectRoot, 'bench/xs/analytics-entry.ts');

export interface WindowFigures {
  computronsPerSample: number;
  naiveComputronsPerSample: number;
  heapGrowthSlots: number;
  pushHeapDeltaSlots: number;
}

export interface MemoryFigures {
  /** Live XS slots per SensorAnalytics (window 60) after gc, xs-device engine. */
  slotsPerSensor: number;
  /** Bytes of chunk heap per SensorAnalytics in typed arrays (computed, see above). */
  chunkBytesPerSensor: number;
  /** The same for the device's per-sensor analytics (src/device/adapters/analytics). */
  deviceSlotsPerSensor: number;
  deviceChunkBytesPerSensor: number;
  /** Live XS slots the whole device application adds per sensor (see the header). */
  deviceAppSlotsPerSensor: number;
}

export interface AnalyticsBench {
  samples: number;
  naiveSamples: number;
  computronsPerSample: Record<string, number>;
  naiveComputronsPerSample: Record<string, number>;
  ratio4096to16: number;
  heapGrowthSlots: number;
  pushHeapDeltaSlots: number;
  perWindow: Record<string, WindowFigures>;
  memory: MemoryFigures;
  goals: {
    ratio4096to16Max: number;
    heapGrowthSlots: number;
    slotsPerSensorMax: number;
    chunkBytesPerSensorMax: number;
    deviceChunkBytesPerSensorMax: number;
    deviceAppSlotsPerSensorMax: number;
  };
  ok: boolean;
}

const RATIO_MAX = 1.05;
export const SLOTS_PER_SENSOR_MAX = 48;
export const CHUNK_BYTES_PER_SENSOR_MAX = 1536;
export const DEVICE_CHUNK_BYTES_PER_SENSOR_MAX = 1536;
export const DEVICE_APP_SLOTS_PER_SENSOR_MAX = 100;
const DEVICE_ENTRY = path.join(projectRoot, 'bench/xs/budget-entry.ts');

/** Live slots of the device application with `sensors` sensors after 12 simulated minutes (see the header). */
function deviceAppSlots(sensors: number): number {
  const commands: { op: string; arg?: Json }[] = [{ op: 'create', arg: { profile: 'firmware', sensors, outageMs: 0 } }];
  for (let i = 0; i < 72; i++) commands.push({ op: 'run', arg: 10_000 });
  commands.push({ op: 'drop' }, { op: 'gc' }, { op: 'noop' }, { op: 'hubMessages' });
  const results = runInXs(DEVICE_ENTRY, commands, 'device');
  const failed = results.find((r) => !r.reply.ok);
  if (failed && !failed.reply.ok) throw new Error(`device memory command failed in XS: ${failed.reply.error}`);
  const last = results[results.length - 1].reply;
  if (!(last.ok && (last.value as number) > 0)) throw new Error(`device with ${sensors} sensors sent nothing: ${JSON.stringify(last)}`);
  return results[results.length - 2].currentHeapCount;
}
const MEMORY_SENSORS = 24;

/** Slots and chunk bytes per sensor (see the header), on the xs-device engine. */
export function measureMemory(): MemoryFigures {
  const perKind = (kind: 'sensor' | 'device') => {
    const batch = { op: 'create', arg: { kind, n: MEMORY_SENSORS } };
    const results = runInXs(ENTRY, [{ op: 'gc' }, { op: 'noop' }, batch, { op: 'gc' }, { op: 'noop' }, batch, { op: 'gc' }, { op: 'noop' }], 'device');
    const failed = results.find((r) => !r.reply.ok);
    if (failed && !failed.reply.ok) throw new Error(`memory command failed in XS: ${failed.reply.error}`);
    const second = results[5].reply.ok ? (results[5].reply.value as number) : NaN;
    return { slots: (results[7].currentHeapCount - results[4].currentHeapCount) / MEMORY_SENSORS, chunk: second / MEMORY_SENSORS };
  };
  const sensor = perKind('sensor');
  const device = perKind('device');
  const deviceAppSlotsPerSensor = (deviceAppSlots(16) - deviceAppSlots(8)) / 8;
  return { slotsPerSensor: sensor.slots, chunkBytesPerSensor: sensor.chunk, deviceSlotsPerSensor: device.slots, deviceChunkBytesPerSensor: device.chunk, deviceAppSlotsPerSensor };
}

/** Runs the measurement in one XS process. */
export function measure(samples = 100_000, naiveSamples = 200): AnalyticsBench {
  const commands: { op: string; arg?: number }[] = [];
  for (const w of WINDOWS) {
    commands.push(
      { op: 'setup', arg: w },
      { op: 'push', arg: 3 * w },
      { op: 'gc' },
      { op: 'noop', arg: samples },
      { op: 'noop', arg: samples },
      { op: 'push', arg: samples },
      { op: 'gc' },
      { op: 'noop', arg: naiveSamples },
      { op: 'naive', arg: naiveSamples },
      { op: 'result' },
    );
  }
  const PER_WINDOW = commands.length / WINDOWS.length;
  const results = runInXs(ENTRY, commands);
  const failed = results.find((r) => !r.reply.ok);
  if (failed && !failed.reply.ok) throw new Error(`bench command failed in XS: ${failed.reply.error}`);

  const perWindow: Record<string, WindowFigures> = {};
  WINDOWS.forEach((w, i) => {
    const [, , gc1, noopA, noopB, push, gc2, noop2, naive, result] = results.slice(i * PER_WINDOW, (i + 1) * PER_WINDOW) as XsCommandResult[];
    const value = result.reply.ok ? (result.reply.value as { count: number; alerts: number; rejected: number }) : undefined;
    if (value?.count !== w) throw new Error(`window ${w}: expected a full window, got ${JSON.stringify(value)}`);
    // The data has spikes and NaNs so the alert and refusal paths are part of the cost.
    if (!(value.alerts > 0 && value.rejected > 0)) throw new Error(`window ${w}: no alerts or refusals exercised: ${JSON.stringify(value)}`);
    perWindow[w] = {
      computronsPerSample: (push.compute - noopB.compute) / samples,
      naiveComputronsPerSample: (naive.compute - noop2.compute) / naiveSamples,
      heapGrowthSlots: gc2.currentHeapCount - gc1.currentHeapCount,
      // Every command leaves its own request/reply garbage (no gc between): subtract a noop's.
      pushHeapDeltaSlots: push.currentHeapCount - noopB.currentHeapCount - (noopB.currentHeapCount - noopA.currentHeapCount),
    };
  });
  const per = (key: keyof WindowFigures) => Object.fromEntries(WINDOWS.map((w) => [String(w), perWindow[w][key]]));
  const ratio = perWindow[4096].computronsPerSample / perWindow[16].computronsPerSample;
  const heapGrowthSlots = Math.max(...WINDOWS.map((w) => Math.abs(perWindow[w].heapGrowthSlots)));
  const memory = measureMemory();
  const pushHeapDeltaSlots = Math.max(...WINDOWS.map((w) => Math.abs(perWindow[w].pushHeapDeltaSlots)));
  return {
    samples,
    naiveSamples,
    computronsPerSample: per('computronsPerSample'),
    naiveComputronsPerSample: per('naiveComputronsPerSample'),
    ratio4096to16: ratio,
    heapGrowthSlots,
    pushHeapDeltaSlots,
    perWindow,
    memory,
    goals: {
      ratio4096to16Max: RATIO_MAX,
      heapGrowthSlots: 0,
      slotsPerSensorMax: SLOTS_PER_SENSOR_MAX,
      chunkBytesPerSensorMax: CHUNK_BYTES_PER_SENSOR_MAX,
      deviceChunkBytesPerSensorMax: DEVICE_CHUNK_BYTES_PER_SENSOR_MAX,
      deviceAppSlotsPerSensorMax: DEVICE_APP_SLOTS_PER_SENSOR_MAX,
    },
    ok:
      ratio <= RATIO_MAX &&
      heapGrowthSlots === 0 &&
      pushHeapDeltaSlots === 0 &&
      memory.slotsPerSensor <= SLOTS_PER_SENSOR_MAX &&
      memory.chunkBytesPerSensor <= CHUNK_BYTES_PER_SENSOR_MAX &&
      memory.deviceChunkBytesPerSensor <= DEVICE_CHUNK_BYTES_PER_SENSOR_MAX &&
      memory.deviceAppSlotsPerSensor <= DEVICE_APP_SLOTS_PER_SENSOR_MAX,
  };
}

function main(): void {
  const arg = process.argv.indexOf('--samples');
  const samples = arg > 0 ? Number(process.argv[arg + 1]) : 100_000;
  const bench = measure(samples);
  const rows = WINDOWS.map((w) => {
    const f = bench.perWindow[w];
    return {
      window: w,
      'computrons/sample': Math.round(f.computronsPerSample * 10) / 10,
      'naive peer computrons/sample': Math.round(f.naiveComputronsPerSample),
      'peer / ours': Math.round((f.naiveComputronsPerSample / f.computronsPerSample) * 10) / 10,
      'heap growth (slots)': f.heapGrowthSlots,
      'push heap delta (slots)': f.pushHeapDeltaSlots,
    };
  });
  console.table(rows);
  console.log(`ratio 4096/16: ${bench.ratio4096to16.toFixed(4)} (goal <= ${RATIO_MAX}); heap growth: ${bench.heapGrowthSlots} slots (goal 0)`);
  const m = bench.memory;
  console.log(
    `per SensorAnalytics (window 60, xs-device): ${m.slotsPerSensor} slots (goal <= ${SLOTS_PER_SENSOR_MAX}), ${m.chunkBytesPerSensor} B chunk in typed arrays (goal <= ${CHUNK_BYTES_PER_SENSOR_MAX}); ` +
      `device analytics per sensor: ${m.deviceSlotsPerSensor} slots, ${m.deviceChunkBytesPerSensor} B (goal <= ${DEVICE_CHUNK_BYTES_PER_SENSOR_MAX}); ` +
      `whole device app per sensor: ${m.deviceAppSlotsPerSensor} slots (goal <= ${DEVICE_APP_SLOTS_PER_SENSOR_MAX})`,
  );
  const out = path.join(projectRoot, 'bench/results/analytics.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(bench, null, 2) + '\n');
  console.log(`wrote ${path.relative(projectRoot, out)}`);
  if (!bench.ok) {
    console.error('analytics bench: goal missed');
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
