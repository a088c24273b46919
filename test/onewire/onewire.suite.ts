/** 1-Wire layer: CRC8 vectors, ROM ids, AN187 search (incl. adversarial ids), alarm search, addressing. */
import type { Suite } from '../harness';
import { crc8, crc8Bitwise } from '../../src/onewire/crc8';
import { makeRom, romCrcValid, romFromHex, romToHex } from '../../src/onewire/rom';
import { RomSearch, alarmSearchAll, searchAll } from '../../src/onewire/search';
import { readBytes, readRom, selectRom, skipRom } from '../../src/onewire/master';
import { SimulatedOneWireBus } from '../../simulator/hardware/onewire-bus';

function hex(s: string): number[] {
  return (s.match(/../g) ?? []).map((x) => parseInt(x, 16));
}

function sortedIds(bus: SimulatedOneWireBus): string[] {
  return bus.devices.map((d) => d.id).sort();
}

function searchIds(bus: SimulatedOneWireBus): string[] {
  const result = searchAll(bus);
  if (result.failure) throw new Error(`search failed: ${result.failure}`);
  return result.roms.map(romToHex);
}

function busWith(count: number, seed: number): SimulatedOneWireBus {
  const bus = new SimulatedOneWireBus({ seed });
  for (let i = 0; i < count; i++) bus.addSensor();
  return bus;
}

export const suite: Suite = {
  name: 'onewire',
  cases: [
    {
      name: 'CRC8: Maxim AN27 example ROM gives A2h; data + CRC gives 0; DS18B20 power-on scratchpad',
      run: (t) => {
        const rom = hex('021CB801000000A2');
        t.equal(crc8(rom, 0, 7), 0xa2);
        t.equal(crc8(rom), 0);
        t.equal(crc8(hex('50054B467FFF0C10')), 0x1c);
        t.equal(crc8([]), 0);
        return [crc8(rom, 0, 7), crc8(hex('50054B467FFF0C10'))];
      },
    },
    {
      name: 'CRC8: table and bitwise agree on every byte and on pseudo-random blocks',
      run: (t) => {
        for (let b = 0; b < 256; b++) t.equal(crc8([b]), crc8Bitwise([b]), `byte ${b}`);
        const block: number[] = [];
        let x = 12345;
        for (let i = 0; i < 200; i++) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          block.push(x >>> 24);
          t.equal(crc8(block), crc8Bitwise(block));
        }
        // A single flipped bit always changes the CRC.
        const flipped = block.slice();
        flipped[17] ^= 4;
        t.ok(crc8(flipped) !== crc8(block));
        return crc8(block);
      },
    },
    {
      name: 'ROM ids: bus-order hex round trip, CRC checked, all-zero refused',
      run: (t) => {
        const rom = makeRom(0x28, [0xff, 0x64, 0xd1, 0xa0, 0x16, 0x03]);
        t.equal(romToHex(rom), '28FF64D1A016039A');
        t.equal(romToHex(romFromHex('28ff64d1a016039a')), '28FF64D1A016039A');
        t.throws(() => romFromHex('28FF64D1A0160318'), /bad CRC/);
        t.throws(() => romFromHex('28FF64'), /16 hex digits/);
        t.equal(romCrcValid(new Uint8Array(8)), false);
        return romToHex(rom);
      },
    },
    {
      name: 'search finds 1, 2, 8 and 20 seeded sensors exactly once each',
      run: (t) => {
        const counts: number[] = [];
        for (const n of [1, 2, 8, 20]) {
          const bus = busWith(n, 100 + n);
          const ids = searchIds(bus);
          t.equal(ids.length, n);
          t.equal(ids.slice().sort(), sortedIds(bus));
          counts.push(ids.length);
        }
        return counts;
      },
    },
    {
      name: 'search: adversarial ids (shared 55-bit prefixes, complementary bits, other families)',
      run: (t) => {
        const bus = new SimulatedOneWireBus({ seed: 9 });
        const base = [0xaa, 0x55, 0xf0, 0x0f, 0xcc, 0x33];
        // Differ only in the last serial bit, the first serial bit, or in one middle bit.
        bus.addSensor({ serial: base });
        bus.addSensor({ serial: [0xaa, 0x55, 0xf0, 0x0f, 0xcc, 0xb3] });
        bus.addSensor({ serial: [0xab, 0x55, 0xf0, 0x0f, 0xcc, 0x33] });
        bus.addSensor({ serial: [0xaa, 0x55, 0xf1, 0x0f, 0xcc, 0x33] });
        // Bitwise complement of the base, and all-zero / all-one serials.
        bus.addSensor({ serial: base.map((b) => b ^ 0xff) });
        bus.addSensor({ serial: [0, 0, 0, 0, 0, 0] });
        bus.addSensor({ serial: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] });
        // Family codes that differ in bit 0 only (discrepancy at the very first bit).
        bus.addSensor({ family: 0x29, serial: base });
        bus.addSensor({ family: 0x22, serial: base });
        const ids = searchIds(bus);
        t.equal(ids.length, 9);
        t.equal(ids.slice().sort(), sortedIds(bus));
        return ids;
      },
    },
    {
      name: 'search: 64 sensors sharing a 48-bit prefix',
      run: (t) => {
        const bus = new SimulatedOneWireBus({ seed: 5 });
        for (let i = 0; i < 64; i++) bus.addSensor({ serial: [0x12, 0x34, 0x56, 0x78, 0x9a, i] });
        const ids = searchIds(bus);
        t.equal(ids.slice().sort(), sortedIds(bus));
        return ids.length;
      },
    },
    {
      name: 'search: empty bus is an empty list, not a failure; a vanishing device is a failure',
      run: (t) => {
        const empty = new SimulatedOneWireBus();
        const none = searchAll(empty);
        t.equal(none.roms.length, 0);
        t.equal(none.failure, undefined);
        const bus = busWith(3, 4);
        const search = new RomSearch(bus);
        const first = search.next();
        t.equal(first.kind, 'found');
        // Every device disconnects mid-way: the next pass must not invent an id.
        for (const d of bus.devices) bus.setFault(d.id, { disconnected: true });
        const next = search.next();
        t.equal(next.kind, 'error');
        return [first.kind, next.kind];
      },
    },
    {
      name: 'search: target family and family skip (AN187)',
      run: (t) => {
        const bus = new SimulatedOneWireBus({ seed: 6 });
        bus.addSensor({ family: 0x28 });
        bus.addSensor({ family: 0x28 });
        bus.addSensor({ family: 0x10 });
        bus.addSensor({ family: 0x22 });
        const search = new RomSearch(bus);
        search.targetFamily(0x22);
        const hit = search.next();
        t.ok(hit.kind === 'found' && hit.rom[0] === 0x22, 'first device of family 22h');
        search.targetFamily(0x10);
        const s18 = search.next();
        t.ok(s18.kind === 'found' && s18.rom[0] === 0x10);
        search.skipFamily();
        const after = search.next();
        t.ok(after.kind === 'found' && after.rom[0] !== 0x10, 'family 10h skipped');
        return after.kind === 'found' ? after.rom[0] : -1;
      },
    },
    {
      name: 'alarm search (ECh) finds exactly the sensors outside TL..TH after a conversion',
      run: (t) => {
        const bus = new SimulatedOneWireBus({ seed: 11 });
        const hot = bus.addSensor({ alarmHigh: 30, alarmLow: 10, thermal: { ambient: 31 } });
        bus.addSensor({ alarmHigh: 30, alarmLow: 10, thermal: { ambient: 20 } });
        const cold = bus.addSensor({ alarmHigh: 30, alarmLow: 10, thermal: { ambient: -3.5 } });
        bus.addSensor({ alarmHigh: 30, alarmLow: 10, thermal: { ambient: 29.9375 } });
        skipRom(bus);
        bus.writeByte(0x44);
        bus.advance(750);
        const ids = alarmSearchAll(bus).roms.map(romToHex);
        t.equal(ids.slice().sort(), [hot.id, cold.id].sort());
        // With limits that nobody violates, the alarm search is empty (and not a failure).
        for (const d of bus.devices) {
          selectRom(bus, d.rom);
          bus.writeByte(0x4e);
          bus.writeByte(100);
          bus.writeByte(0xce); // -50
          bus.writeByte(0x7f);
        }
        const quiet = alarmSearchAll(bus);
        t.equal(quiet.roms.length, 0);
        t.equal(quiet.failure, undefined);
        return ids.length;
      },
    },
    {
      name: 'READ ROM with one device; MATCH ROM talks to one device among many',
      run: (t) => {
        const single = busWith(1, 21);
        const rom = readRom(single);
        t.equal(rom ? romToHex(rom) : 'none', single.devices[0].id);
        const bus = new SimulatedOneWireBus({ seed: 22 });
        for (let i = 0; i < 5; i++) bus.addSensor({ alarmHigh: 40 + i });
        const th: number[] = [];
        for (const d of bus.devices) {
          t.ok(selectRom(bus, d.rom));
          bus.writeByte(0xbe);
          const sp = new Uint8Array(9);
          readBytes(bus, sp, 0, 9);
          t.equal(crc8(sp), 0);
          th.push(sp[2]);
        }
        t.equal(th, [40, 41, 42, 43, 44]);
        return th;
      },
    },
  ],
};
