/**
 * A test-only fault schedule for the simulated 1-Wire bus of the simulator platforms (config
 * `simFaults`; empty in the shipped manifest, and ignored on esp32). Entries
 * `<ms>:<action>[:<sensor>]` separated by `;`, times in ms from the bus's creation (boot),
 * sensors by creation index (0 = the first of `simSensors`, the added ones after them):
 * - `add`: a DS18B20 at 23.5 °C is plugged in (hot-plug);
 * - `remove:<sensor>`: that sensor is unplugged;
 * - `power`: the bus supply drops for a moment, every device power-cycles (scratchpads reload
 *   from EEPROM, the temperature register holds 85.0 °C);
 * - `lock:<sensor>`: that sensor's configuration register ignores writes (reads 7Fh), as some
 *   clones do;
 * - `eeprom12:<sensor>`: that sensor's EEPROM holds 12 bits (a sensor set up elsewhere), what it
 *   powers up with at the next `power`.
 * A step applies at the first bus reset at or after its time (each sampling round starts with
 * one) and is logged as `sim bus: ...` so a test can anchor on it. The Moddable lane
 * (test/moddable-lane/sensors.lane.ts) drives issue 12's field inputs through this.
 */
import type { OneWireBus } from '../../../src/platform';
import type { SimulatedOneWireBus } from '../../../simulator/hardware/onewire-bus';

export interface FaultStep {
  atMs: number;
  action: 'add' | 'remove' | 'power' | 'lock' | 'eeprom12';
  /** Creation index of the sensor (remove, lock); -1 for the others. */
  sensor: number;
}

/** Parses `simFaults`; throws Error naming the entry that is not `<ms>:<action>[:<sensor>]`. */
export function parseFaultSchedule(text: string): FaultStep[] {
  const steps: FaultStep[] = [];
  for (const entry of text.split(';')) {
    const item = entry.trim();
    if (item === '') continue;
    const match = /^(\d+):(add|remove|power|lock|eeprom12)(?::(\d+))?$/.exec(item);
    const needsSensor = match !== null && match[2] !== 'add' && match[2] !== 'power';
    if (!match || needsSensor !== (match[3] !== undefined)) throw new Error(`simFaults: "${item}" is not <ms>:add, <ms>:power, or <ms>:remove|lock|eeprom12:<sensor>`);
    steps.push({ atMs: Number(match[1]), action: match[2] as FaultStep['action'], sensor: match[3] === undefined ? -1 : Number(match[3]) });
  }
  return steps.sort((a, b) => a.atMs - b.atMs);
}

/** The simulated bus with `steps` applied as their time comes (see the module's docstring). */
export class ScheduledFaultBus implements OneWireBus {
  strongPullup?: (durationMs: number) => void;
  /** Device ids by creation index. */
  private readonly ids: string[] = [];
  private next = 0;
  private readonly startMs: number;

  constructor(
    private readonly bus: SimulatedOneWireBus,
    private readonly steps: FaultStep[],
    private readonly now: () => number,
    private readonly log: (line: string) => void,
  ) {
    this.startMs = now();
    for (const d of bus.devices) this.ids.push(d.id);
    if (bus.strongPullup) this.strongPullup = (ms) => bus.strongPullup?.(ms);
    this.ids.forEach((id, i) => log(`sim bus: sensor ${i} is ${id}`));
  }

  reset(): boolean {
    this.applyDue();
    return this.bus.reset();
  }

  writeBit(bit: 0 | 1): void {
    this.bus.writeBit(bit);
  }

  readBit(): 0 | 1 {
    return this.bus.readBit();
  }

  writeByte(value: number): void {
    this.bus.writeByte(value);
  }

  readByte(): number {
    return this.bus.readByte();
  }

  private applyDue(): void {
    const elapsed = this.now() - this.startMs;
    while (this.next < this.steps.length && this.steps[this.next]!.atMs <= elapsed) {
      const step = this.steps[this.next++]!;
      const id = step.sensor >= 0 ? this.ids[step.sensor] : undefined;
      if (step.sensor >= 0 && id === undefined) {
        this.log(`sim bus: no sensor ${step.sensor} for ${step.action}`);
        continue;
      }
      if (step.action === 'add') {
        const added = this.bus.addSensor({ thermal: { ambient: 23.5, noise: 0.05 } }).id;
        this.ids.push(added);
        this.log(`sim bus: sensor ${this.ids.length - 1} plugged in: ${added}`);
      } else if (step.action === 'remove' && id !== undefined) {
        this.bus.remove(id);
        this.log(`sim bus: sensor ${step.sensor} unplugged: ${id}`);
      } else if (step.action === 'lock' && id !== undefined) {
        this.bus.setFault(id, { configLocked: true });
        this.log(`sim bus: sensor ${step.sensor} configuration register locked: ${id}`);
      } else if (step.action === 'eeprom12' && id !== undefined) {
        this.bus.device(id).eeprom[2] = 0x7f;
        this.log(`sim bus: sensor ${step.sensor} EEPROM set to 12 bits: ${id}`);
      } else if (step.action === 'power') {
        this.bus.powerCycle();
        this.log('sim bus: power cycle');
      }
    }
  }
}
