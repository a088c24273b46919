/**
 * XS entry for bench/sensors.ts. Commands:
 *   setup n    three identical worlds of n 12-bit sensors: one for driver cycles, one to record
 *              a cycle's bus traffic, one to replay that traffic (hardware-only cost)
 *   cycle k    k full read cycles through the driver
 *   replay k   k replays of the recorded traffic without the driver
 */
import { serve } from '../../test/xs/serve';
import { makeWorld, readCycle, RecordingBus, replay, type SensorsWorld } from './sensors-cycle';

let measured: SensorsWorld | undefined;
let replayed: SensorsWorld | undefined;
let ops: number[] = [];

serve({
  setup: (n) => {
    const count = Number(n);
    measured = makeWorld(count, 12);
    readCycle(measured);
    let recorder: RecordingBus | undefined;
    const recorded = makeWorld(count, 12, 2024, (bus) => (recorder = new RecordingBus(bus)));
    readCycle(recorded);
    if (!recorder) throw new Error('no recorder');
    const rec = recorder;
    rec.ops.length = 0;
    readCycle(recorded, (ms) => rec.ops.push(6, ms));
    ops = rec.ops.slice();
    replayed = makeWorld(count, 12);
    readCycle(replayed);
    return ops.length / 2;
  },
  cycle: (k) => {
    if (!measured) throw new Error('setup first');
    let last = 0;
    for (let i = 0; i < Number(k); i++) last = readCycle(measured).length;
    return last;
  },
  replay: (k) => {
    if (!replayed) throw new Error('setup first');
    for (let i = 0; i < Number(k); i++) replay(replayed.bus, ops);
    return ops.length / 2;
  },
});
