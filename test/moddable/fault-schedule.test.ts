/** The simulator bus's test-only fault schedule (hosts/moddable/onewire/fault-schedule.ts), on Node. */
import { describe, expect, it } from 'vitest';
import { parseFaultSchedule, ScheduledFaultBus } from '../../hosts/moddable/onewire/fault-schedule';
import { SimulatedOneWireBus } from '../../simulator/hardware/onewire-bus';

describe('simFaults: the simulated bus fault schedule', () => {
  it('parses entries in time order and refuses malformed ones', () => {
    expect(parseFaultSchedule(' 40000:add; 0:lock:1 ;80000:power;79000:eeprom12:0;110000:remove:2;')).toEqual([
      { atMs: 0, action: 'lock', sensor: 1 },
      { atMs: 40000, action: 'add', sensor: -1 },
      { atMs: 79000, action: 'eeprom12', sensor: 0 },
      { atMs: 80000, action: 'power', sensor: -1 },
      { atMs: 110000, action: 'remove', sensor: 2 },
    ]);
    expect(parseFaultSchedule('')).toEqual([]);
    for (const bad of ['5:remove', '5:add:1', 'x:power', '5:explode', '5:lock:a']) expect(() => parseFaultSchedule(bad), bad).toThrow(/simFaults: /);
  });

  it('applies each step at the first bus reset at or after its time, and logs it', () => {
    let now = 1000;
    const sim = new SimulatedOneWireBus({ seed: 3, now: () => now });
    sim.addSensor();
    sim.addSensor();
    const lines: string[] = [];
    const bus = new ScheduledFaultBus(sim, parseFaultSchedule('0:lock:1;500:add;900:eeprom12:0;1000:power;1500:remove:2;1600:remove:7'), () => now, (l) => lines.push(l));
    const [a, b] = sim.devices.map((d) => d.id);
    expect(lines).toEqual([`sim bus: sensor 0 is ${a}`, `sim bus: sensor 1 is ${b}`]);
    expect(bus.reset()).toBe(true);
    expect(sim.devices[1]!.faults.configLocked).toBe(true);
    now += 499;
    bus.reset();
    expect(sim.devices).toHaveLength(2);
    now += 1;
    bus.reset();
    expect(sim.devices).toHaveLength(3);
    const c = sim.devices[2]!.id;
    now += 500;
    bus.reset();
    expect(sim.devices[0]!.eeprom[2]).toBe(0x7f);
    expect(sim.devices[0]!.powerOns).toBe(1);
    now += 600;
    bus.reset();
    expect(sim.devices.map((d) => d.id)).toEqual([a, b]);
    expect(lines.slice(2)).toEqual([
      `sim bus: sensor 1 configuration register locked: ${b}`,
      `sim bus: sensor 2 plugged in: ${c}`,
      `sim bus: sensor 0 EEPROM set to 12 bits: ${a}`,
      'sim bus: power cycle',
      `sim bus: sensor 2 unplugged: ${c}`,
      'sim bus: no sensor 7 for remove',
    ]);
  });
});
