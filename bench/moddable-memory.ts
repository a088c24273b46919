/**
 * Steady-state XS memory of the firmware in the Moddable simulator, from a log captured by hand
 * (the SDK and mcsim are not part of CI). Nothing here measures: it reads the lines
 * `info memory: slots=<bytes> chunk=<bytes> stack=<bytes>` that hosts/moddable/memory-probe.ts
 * traces (Debug.gc() then the SDK's Instrumentation counters) and writes
 * bench/results/moddable-memory.json.
 *
 *   npx tsx bench/moddable-memory.ts <xsbug-log output> --sensors N [--out bench/results/moddable-memory.json]
 *
 * N simulated DS18B20s ran in the same XS machine: their models (test/moddable-lane/rig.ts
 * SIM_SENSOR_SLOTS and SIM_SENSOR_CHUNK each) are subtracted for the device's own figures.
 *
 * How to capture the log: see hosts/moddable/README.md, "Memory".
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { SIM_SENSOR_CHUNK, SIM_SENSOR_SLOTS } from '../test/moddable-lane/rig';

const ESP32 = { chunkBytes: 78848, slots: 4928, slotBytes: 16, stackSlots: 512 };
const SIM_SLOT_BYTES = 32; // sizeof(txSlot) on a 64-bit host
const TLS_HANDSHAKE_RESERVE = 24 * 1024;

const args = process.argv.slice(2);
const logPath = args.find((a) => !a.startsWith('--'));
const outIndex = args.indexOf('--out');
const out = outIndex >= 0 ? args[outIndex + 1]! : 'bench/results/moddable-memory.json';
const sensorsIndex = args.indexOf('--sensors');
const sensors = sensorsIndex >= 0 ? Number(args[sensorsIndex + 1]) : NaN;
if (!logPath || !Number.isInteger(sensors) || sensors < 0) {
  console.error('usage: tsx bench/moddable-memory.ts <simulator log> --sensors N [--out file]');
  process.exit(2);
}

// xsbug-log colours its output; strip ANSI escapes.
const text = readFileSync(logPath, 'utf8').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
const lines = text.split('\n');
const firstConnected = lines.findIndex((l) => l.includes('info hub: hub connected'));
if (firstConnected < 0) throw new Error('the log has no "hub connected": the firmware never reached the steady state');
const samples: { slots: number; chunk: number; stack: number }[] = [];
let boot: { slots: number; chunk: number } | undefined;
lines.forEach((line, i) => {
  const m = /info memory: slots=(\d+) chunk=(\d+) stack=(\d+)/.exec(line);
  if (!m) return;
  const s = { slots: Number(m[1]), chunk: Number(m[2]), stack: Number(m[3]) };
  if (i < firstConnected) boot ??= s;
  else samples.push(s);
});
// The first samples after connecting include the twin exchange; the steady state follows.
const steady = samples.slice(3);
if (steady.length < 5) throw new Error(`only ${steady.length} steady-state samples; run longer`);

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
};
const slotsBytesSim = median(steady.map((s) => s.slots));
const chunkBytesSim = median(steady.map((s) => s.chunk));
// The device's share: the simulated sensors' models are not on a device.
const models = { slots: sensors * SIM_SENSOR_SLOTS, chunkBytes: sensors * SIM_SENSOR_CHUNK };
const slotCount = Math.round(slotsBytesSim / SIM_SLOT_BYTES) - models.slots;
const chunkBytesDevice = chunkBytesSim - models.chunkBytes;
const stackPeakSlots = Math.round(Math.max(...samples.map((s) => s.stack)) / SIM_SLOT_BYTES);
const esp32SlotBytes = slotCount * ESP32.slotBytes;
const freeSlotBytes = (ESP32.slots - slotCount) * ESP32.slotBytes;
const freeChunkBytesAtLeast = ESP32.chunkBytes - chunkBytesDevice;

const result = {
  benchmark: 'moddable-memory',
  date: new Date().toISOString(),
  source: logPath,
  method:
    'Recorded by the Moddable lane (test/moddable-lane/firmware.lane.ts, its soak) in the Moddable simulator (mcsim, sim/moddable_two, debug build) ' +
    `running the firmware against the local IoT Hub emulator over TLS (${sensors} simulated DS18B20, whose models ` +
    `live in the same XS machine, ${SIM_SENSOR_SLOTS} slots and ${SIM_SENSOR_CHUNK} B each, added to the simulator's heap by the lane and subtracted here; after every lane scenario). ` +
    'The simulator runs with the ESP32 heap sizes fixed (the lane manifest, test/moddable-lane/rig.ts laneManifest: chunk 78848 B, 4928 slots, incremental 0; ' +
    'plus the models), so it fails where the device would. ' +
    'Each sample: Debug.gc(), then Instrumentation "XS Slot Heap Used" / "XS Chunk Heap Used" / "XS Stack Used" (hosts/moddable/memory-probe.ts, ' +
    'built with memoryProbeMs=...). Steady state = median of the samples after the hub connected, without the first 3. ' +
    'Slots are 32 B on the 64-bit simulator and 16 B on ESP32: slot counts carry over exactly. Chunk bytes on the simulator are an upper ' +
    'bound for ESP32 (pointers inside chunks are 8 B instead of 4 B). Not measured on an ESP32.',
  samples: { beforeApplication: boot ?? null, afterConnect: samples.length, steadyState: steady.length },
  simulator: { slotHeapBytes: slotsBytesSim, chunkHeapBytes: chunkBytesSim, slotBytes: SIM_SLOT_BYTES, sensors, sensorModels: models },
  steadyState: {
    slots: slotCount,
    chunkBytesUpperBound: chunkBytesDevice,
    esp32SlotHeapBytes: esp32SlotBytes,
    esp32TotalBytesUpperBound: esp32SlotBytes + chunkBytesDevice,
  },
  stackPeakSlots,
  budget: {
    esp32ChunkBytes: ESP32.chunkBytes,
    esp32Slots: ESP32.slots,
    esp32TotalBytes: ESP32.chunkBytes + ESP32.slots * ESP32.slotBytes,
    freeSlots: ESP32.slots - slotCount,
    freeSlotBytes,
    freeChunkBytesAtLeast,
    freeTotalBytesAtLeast: freeSlotBytes + freeChunkBytesAtLeast,
    tlsHandshakeReserveBytes: TLS_HANDSHAKE_RESERVE,
    fits: slotCount < ESP32.slots && freeSlotBytes + freeChunkBytesAtLeast >= TLS_HANDSHAKE_RESERVE,
  },
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify({ steadyState: result.steadyState, budget: result.budget, stackPeakSlots }, null, 2));
