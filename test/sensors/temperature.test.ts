/** Property tests (Node only): temperature codecs, scratchpad validation, ROM ids and search on random buses. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc8 } from '../../src/onewire/crc8';
import { makeRom, romFromHex, romToHex } from '../../src/onewire/rom';
import { searchAll } from '../../src/onewire/search';
import { checkScratchpad } from '../../src/sensors/scratchpad';
import { decodeDs18s20, decodeTemperature, encodeDs18s20, encodeTemperature, RESOLUTIONS } from '../../src/sensors/temperature';
import { SimulatedOneWireBus } from '../../simulator/hardware/onewire-bus';

describe('temperature encode/decode', () => {
  for (const r of RESOLUTIONS) {
    const step = 1 << (12 - r);
    it(`every representable value at ${r} bits (-55..125 °C) round-trips exactly`, () => {
      let count = 0;
      for (let raw = -55 * 16; raw <= 125 * 16; raw += step) {
        const c = raw / 16;
        const reg = encodeTemperature(c, r);
        expect(decodeTemperature(reg & 0xff, reg >> 8, r)).toBe(c);
        count++;
      }
      expect(count).toBe((180 * 16) / step + 1);
    });
    it(`any temperature at ${r} bits decodes to the step at or below it, with undefined bits ignored`, () => {
      fc.assert(
        fc.property(fc.integer({ min: -55 * 1024, max: 125 * 1024 }), fc.integer({ min: 0, max: step - 1 }), (milli, junk) => {
          const c = milli / 1024; // exact in binary, so the bounds below are exact too
          const reg = encodeTemperature(c, r) | junk;
          const back = decodeTemperature(reg & 0xff, (reg >> 8) & 0xff, r);
          expect(back).toBeLessThanOrEqual(c);
          expect(c - back).toBeLessThan(step / 16);
        }),
      );
    });
  }
  it('DS18S20 extended resolution round-trips every 1/16 °C', () => {
    for (let s = -55 * 16; s <= 125 * 16; s++) {
      const e = encodeDs18s20(s / 16);
      expect(decodeDs18s20(e.raw & 0xff, (e.raw >> 8) & 0xff, e.countRemain, e.countPerC)).toBe(s / 16);
    }
  });
});

describe('scratchpad validation', () => {
  it('any single flipped bit in a valid scratchpad is never a reading', () => {
    fc.assert(
      fc.property(fc.integer({ min: -55 * 16, max: 125 * 16 }), fc.integer({ min: 0, max: 71 }), (raw, bit) => {
        const reg = raw & 0xffff;
        const sp = [reg & 0xff, reg >> 8, 75, 70, 0x7f, 0xff, 0x10, 0x10, 0];
        sp[8] = crc8(sp, 0, 8);
        expect(checkScratchpad(0x28, sp).ok).toBe(true);
        sp[bit >> 3] ^= 1 << (bit & 7);
        expect(checkScratchpad(0x28, sp).ok).toBe(false);
      }),
    );
  });
  it('values beyond -55..125 °C are refused even with a valid CRC', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -2048 * 16, max: -55 * 16 - 1 }), fc.integer({ min: 125 * 16 + 1, max: 2047 * 16 })), (raw) => {
        const reg = raw & 0xffff;
        const sp = [reg & 0xff, reg >> 8, 75, 70, 0x7f, 0xff, 0x10, 0x10, 0];
        sp[8] = crc8(sp, 0, 8);
        const check = checkScratchpad(0x28, sp);
        expect(check.ok ? 'ok' : check.reason).toBe('out-of-range');
      }),
    );
  });
});

describe('ROM ids and search', () => {
  it('hex form round-trips for any serial', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 6, maxLength: 6 }), (family, serial) => {
        const rom = makeRom(family, serial);
        expect(Array.from(romFromHex(romToHex(rom)))).toEqual(Array.from(rom));
      }),
    );
  });
  it('search finds exactly the devices of any random bus', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.uint8Array({ minLength: 6, maxLength: 6 }), { minLength: 0, maxLength: 24, selector: (s) => Array.from(s).join(',') }), (serials) => {
        const bus = new SimulatedOneWireBus();
        for (const s of serials) bus.addSensor({ serial: s });
        const found = searchAll(bus);
        expect(found.failure).toBeUndefined();
        expect(found.roms.map(romToHex).sort()).toEqual(bus.devices.map((d) => d.id).sort());
      }),
      { numRuns: 60 },
    );
  });
});
