/**
 * ROM search per Maxim application note 187 ("1-Wire Search Algorithm"): the discrepancy
 * algorithm. Each pass walks the 64-bit id tree, reading a bit and its complement from all
 * participating devices and choosing a direction; the last unexplored 0-branch (the last
 * discrepancy) is taken as 1 on the next pass. One pass per device: 1 + 3 * 64 slots after a
 * reset and the command byte.
 */
import type { OneWireBus } from '../platform';
import { ALARM_SEARCH, SEARCH_ROM } from './commands';
import { ROM_BYTES, romCrcValid, type RomId } from './rom';

export type SearchStep =
  | { kind: 'found'; rom: RomId }
  /** No more devices (or none at all). */
  | { kind: 'done' }
  /** The pass failed: no presence, both bits 1 mid-search (a device left), or a bad CRC. */
  | { kind: 'error'; reason: 'no-presence' | 'bus-short' | 'no-response' | 'crc' };

/** The state of one search (first/next) as in AN187; reusable via `reset()`. */
export class RomSearch {
  private readonly rom = new Uint8Array(ROM_BYTES);
  private lastDiscrepancy = 0;
  private lastFamilyDiscrepancy = 0;
  private lastDevice = false;

  constructor(
    private readonly bus: OneWireBus,
    /** SEARCH ROM (F0h) or ALARM SEARCH (ECh). */
    private readonly command: number = SEARCH_ROM,
  ) {}

  /** Starts over from the first device. */
  reset(): void {
    this.lastDiscrepancy = 0;
    this.lastFamilyDiscrepancy = 0;
    this.lastDevice = false;
    this.rom.fill(0);
  }

  /** AN187 "Target Setup": the next search finds the first device of `family` (if any). */
  targetFamily(family: number): void {
    this.rom.fill(0);
    this.rom[0] = family & 0xff;
    this.lastDiscrepancy = 64;
    this.lastFamilyDiscrepancy = 0;
    this.lastDevice = false;
  }

  /** AN187 "Family Skip Setup": the next search skips the rest of the current family. */
  skipFamily(): void {
    this.lastDiscrepancy = this.lastFamilyDiscrepancy;
    this.lastFamilyDiscrepancy = 0;
    if (this.lastDiscrepancy === 0) this.lastDevice = true;
  }

  /** One search pass: the next device in id order, or done. */
  next(): SearchStep {
    if (this.lastDevice) return { kind: 'done' };
    const bus = this.bus;
    const rom = this.rom;
    if (!bus.reset()) {
      this.reset();
      // A line that reads low after a reset without presence is shorted, not empty.
      return { kind: 'error', reason: bus.readBit() === 0 ? 'bus-short' : 'no-presence' };
    }
    bus.writeByte(this.command);
    let lastZero = 0;
    for (let bitNumber = 1; bitNumber <= 64; bitNumber++) {
      const byteIndex = (bitNumber - 1) >> 3;
      const mask = 1 << ((bitNumber - 1) & 7);
      const idBit = bus.readBit();
      const cmpBit = bus.readBit();
      if (idBit === 1 && cmpBit === 1) {
        // Nobody answered: no (alarming) device at all on the first bit, or one left the bus.
        const none = bitNumber === 1 && this.lastDiscrepancy === 0;
        this.reset();
        return none ? { kind: 'done' } : { kind: 'error', reason: 'no-response' };
      }
      let direction: 0 | 1;
      if (idBit !== cmpBit) {
        direction = idBit;
      } else {
        // A discrepancy: devices with both values are present.
        if (bitNumber < this.lastDiscrepancy) direction = rom[byteIndex] & mask ? 1 : 0;
        else direction = bitNumber === this.lastDiscrepancy ? 1 : 0;
        if (direction === 0) {
          lastZero = bitNumber;
          if (lastZero < 9) this.lastFamilyDiscrepancy = lastZero;
        }
      }
      if (direction) rom[byteIndex] |= mask;
      else rom[byteIndex] &= ~mask & 0xff;
      bus.writeBit(direction);
    }
    if (!romCrcValid(rom)) {
      this.reset();
      return { kind: 'error', reason: 'crc' };
    }
    this.lastDiscrepancy = lastZero;
    if (lastZero === 0) this.lastDevice = true;
    return { kind: 'found', rom: rom.slice() };
  }
}

export interface SearchResult {
  roms: RomId[];
  /** Passes that failed and were retried from the start. */
  errors: number;
  /** Set when the search gave up (retries exhausted): `roms` may then be incomplete. */
  failure?: 'no-presence' | 'bus-short' | 'no-response' | 'crc';
}

/**
 * Finds every device (or every alarming device with ALARM SEARCH). A failed pass restarts the
 * whole search, at most `retries` times, so a glitch never yields a half list silently.
 */
export function searchAll(bus: OneWireBus, options: { command?: number; retries?: number; limit?: number } = {}): SearchResult {
  const search = new RomSearch(bus, options.command ?? SEARCH_ROM);
  const retries = options.retries ?? 2;
  const limit = options.limit ?? 256;
  let errors = 0;
  for (;;) {
    const roms: RomId[] = [];
    let failure: SearchResult['failure'];
    for (;;) {
      const step = search.next();
      if (step.kind === 'done') break;
      if (step.kind === 'error') {
        failure = step.reason;
        break;
      }
      roms.push(step.rom);
      if (roms.length >= limit) break;
    }
    // No presence at all is a valid answer for an empty bus, not a glitch worth retrying.
    if (failure === undefined || (failure === 'no-presence' && roms.length === 0)) return { roms, errors };
    errors++;
    if (errors > retries) return { roms, errors, failure };
    search.reset();
  }
}

export function alarmSearchAll(bus: OneWireBus, options: { retries?: number } = {}): SearchResult {
  return searchAll(bus, { command: ALARM_SEARCH, retries: options.retries });
}
