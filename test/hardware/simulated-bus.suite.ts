/** The simulated bus itself: slot timing, conversion busy/old-scratchpad behaviour, clocks, ROM generation. */
import type { Suite } from '../harness';
import { crc8 } from '../../src/onewire/crc8';
import { readBytes, selectRom, skipRom } from '../../src/onewire/master';
import { romCrcValid } from '../../src/onewire/rom';
import { SimulatedOneWireBus } from '../../simulator/hardware/onewire-bus';
import { Prng } from '../../simulator/hardware/prng';

export const suite: Suite = {
  name: 'simulated-bus',
  cases: [
    {
      name: 'reset + SKIP ROM + 44h is 2.08 ms; reset + MATCH ROM + BEh + 9 bytes is 11.6 ms',
      run: (t) => {
        const bus = new SimulatedOneWireBus({ seed: 2 });
        const d = bus.addSensor();
        skipRom(bus);
        bus.writeByte(0x44);
        t.equal(bus.now(), 2.08);
        const t0 = bus.now();
        selectRom(bus, d.rom);
        bus.writeByte(0xbe);
        readBytes(bus, new Uint8Array(9), 0, 9);
        t.equal(Math.round((bus.now() - t0) * 1000), 11600);
        return bus.stats.slots;
      },
    },
    {
      name: 'while converting: read slots are 0 and the scratchpad still holds the old value',
      run: (t) => {
        const bus = new SimulatedOneWireBus({ seed: 2 });
        const d = bus.addSensor({ resolution: 9, thermal: { ambient: 30, noise: 0 } });
        skipRom(bus);
        bus.writeByte(0x44);
        t.equal(bus.readBit(), 0);
        bus.advance(50);
        t.equal(bus.readBit(), 0);
        const sp = new Uint8Array(9);
        selectRom(bus, d.rom);
        bus.writeByte(0xbe);
        readBytes(bus, sp, 0, 9);
        t.equal([sp[0], sp[1]], [0x50, 0x05], 'old (power-on) value while busy');
        bus.advance(93.75);
        selectRom(bus, d.rom);
        bus.writeByte(0xbe);
        readBytes(bus, sp, 0, 9);
        t.equal([sp[0], sp[1], crc8(sp)], [0xe0, 0x01, 0]);
        return Array.from(sp);
      },
    },
    {
      name: 'generated ROMs are valid and seed-determined; real-time clock mode takes its time from outside',
      run: (t) => {
        const a = new SimulatedOneWireBus({ seed: 42 });
        const b = new SimulatedOneWireBus({ seed: 42 });
        for (let i = 0; i < 10; i++) {
          const x = a.addSensor();
          const y = b.addSensor();
          t.equal(x.id, y.id);
          t.ok(romCrcValid(x.rom));
        }
        let clock = 1000;
        const rt = new SimulatedOneWireBus({ seed: 1, now: () => clock });
        const d = rt.addSensor({ resolution: 9, thermal: { ambient: 12.5, noise: 0 } });
        skipRom(rt);
        rt.writeByte(0x44);
        t.equal(rt.now(), 1000, 'operations take no simulated time');
        t.throws(() => rt.advance(1), /external clock/);
        t.equal(rt.readBit(), 0);
        clock += 94;
        t.equal(rt.readBit(), 1);
        const sp = new Uint8Array(9);
        selectRom(rt, d.rom);
        rt.writeByte(0xbe);
        readBytes(rt, sp, 0, 9);
        t.equal([sp[0], sp[1]], [0xc8, 0x00]);
        return a.devices.map((x) => x.id);
      },
    },
    {
      name: 'thermal model: seeded noise and drift are reproducible; PRNG is engine-independent',
      run: (t) => {
        const p = new Prng(123);
        const ints = [p.nextUint32(), p.nextUint32(), p.nextUint32()];
        const bus = new SimulatedOneWireBus({ seed: 8 });
        const d = bus.addSensor({ thermal: { ambient: 20, noise: 0.2, driftPerHour: 3.6 } });
        const samples = [0, 1000, 2000].map((ms) => d.thermal.sample(ms));
        const again = new SimulatedOneWireBus({ seed: 8 }).addSensor({ thermal: { ambient: 20, noise: 0.2, driftPerHour: 3.6 } });
        t.equal([0, 1000, 2000].map((ms) => again.thermal.sample(ms)), samples);
        t.ok(samples.every((s) => Math.abs(s - 20) < 2));
        const flat = new SimulatedOneWireBus({ seed: 8 }).addSensor({ thermal: { ambient: 20, driftPerHour: 3.6 } });
        t.close(flat.thermal.sample(3_600_000), 23.6, 1e-12);
        return [ints, samples];
      },
    },
  ],
};
