/** The application in simulated time: aggregates, outbox bounds in telemetry, restart, sensors. */
import { describe, expect, it } from 'vitest';
import { windowAnalytics } from '../../src/device/adapters/analytics';
import { startDevice } from '../../src/device/app';
import { FakeHost } from './fake-host';
import { FakeHub, FakeSensors } from './fakes';

/** Every aggregation period sent: aggregate messages and the `aggregate` telemetry carries. */
function aggregatesOf(hub: FakeHub): { periodStart: number; periodMs: number; sensors: Record<string, number | string>[] }[] {
  const out = [];
  for (const s of hub.sent) {
    const body = JSON.parse(s.body);
    if (body.type === 'aggregate') out.push(body);
    else if (body.type === 'telemetry' && body.aggregate !== undefined) out.push(body.aggregate);
  }
  return out;
}

describe('device application', () => {
  it('sends one aggregate per period with count, mean, min, max, std, first and last', () => {
    const host = new FakeHost();
    const hub = new FakeHub();
    const sensors = new FakeSensors();
    sensors.set('28aa000000000001', 20);
    // Samples at 0 (start), 1000, ..., 9000: values 20..29 on T1.
    const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'd', config: { aggregatePeriodMs: 10000 } });
    hub.connect();
    for (let i = 1; i < 10; i++) {
      sensors.set('28aa000000000001', 20 + i);
      host.advance(1000);
    }
    sensors.set('28aa000000000001', 100);
    // t = 10000: the period ends; the sample due at the same time belongs to the next period.
    host.advance(1000);
    const aggregates = aggregatesOf(hub);
    expect(aggregates).toHaveLength(1);
    // Telemetry (every 5 s) is at least as frequent as aggregation: the aggregate rides on it.
    expect(hub.sent.filter((s) => s.properties.type === 'aggregate')).toHaveLength(0);
    const t1 = aggregates[0].sensors[0];
    expect(t1).toMatchObject({ id: '28aa000000000001', name: 'T1', count: 10, mean: 24.5, min: 20, max: 29, first: 20, last: 29 });
    expect(t1.std).toBeCloseTo(3.028, 3);
    expect(aggregates[0].sensors[1]).toMatchObject({ count: 10, mean: 22, min: 22, max: 22, std: 0 });
    expect(aggregates[0].periodMs).toBe(10000);
    expect(aggregates[0].periodStart).toBe(1_700_000_000_000);
    host.advance(10000);
    const second = aggregatesOf(hub);
    expect(second[1].sensors[0]).toMatchObject({ count: 10, first: 100, max: 100 });
    const telemetry = hub.sent.map((s) => JSON.parse(s.body)).filter((b) => b.type === 'telemetry');
    expect(telemetry.filter((b) => b.aggregate !== undefined)).toHaveLength(2);
    device.stop();
  });

  it('sends an aggregate alone when telemetry is less frequent than aggregation, and one still waiting at stop', () => {
    const host = new FakeHost();
    const hub = new FakeHub();
    const device = startDevice(host, { sensors: new FakeSensors(), hub, analytics: windowAnalytics() }, { deviceId: 'd', config: { telemetryIntervalMs: 30000, aggregatePeriodMs: 10000 } });
    hub.connect();
    host.advance(30000);
    expect(hub.sent.filter((s) => s.properties.type === 'aggregate')).toHaveLength(3);
    expect(hub.sent.map((s) => JSON.parse(s.body)).some((b) => b.type === 'telemetry' && b.aggregate !== undefined)).toBe(false);
    host.advance(5000);
    device.configure({ telemetryIntervalMs: 10000 }); // telemetry at 45 s, 55 s, ...
    host.advance(7000); // the period ending at 40 s waits for the telemetry at 45 s
    expect(device.outboxCounts().pending).toBe(0);
    const sentBefore = hub.sent.length;
    device.stop();
    // Kept in the outbox's storage for the next start, not lost.
    expect(device.outboxCounts().pending).toBe(1);
    const stored = host.storage.keys('ob/').filter((k) => k !== 'ob/m').map((k) => host.storage.get(k) ?? '');
    expect(stored.filter((v) => v.includes('\\"type\\":\\"aggregate\\"'))).toHaveLength(1);
    expect(hub.sent.length).toBe(sentBefore);
  });

  it('reports outbox overflow in telemetry after an outage longer than the capacity', () => {
    const host = new FakeHost();
    const hub = new FakeHub();
    const device = startDevice(host, { sensors: new FakeSensors(), hub, analytics: windowAnalytics() }, { deviceId: 'd', outbox: { maxCount: 5 }, config: { aggregatePeriodMs: 3600000 } });
    host.advance(60000); // 12 telemetry messages while never connected; only 5 fit
    expect(device.outboxCounts()).toMatchObject({ pending: 5, overflow: 7 });
    expect(host.lastDisplay?.status).toEqual({ network: 'down', hub: 'disconnected', outbox: 5 });
    hub.connect();
    const seqs = hub.bodies('telemetry').map((b) => b.seq);
    expect(seqs).toEqual([7, 8, 9, 10, 11]);
    host.advance(5000);
    const last = hub.bodies('telemetry').at(-1) as { outbox: { overflow: number; pending: number } };
    expect(last.outbox.overflow).toBe(7);
    device.stop();
  });

  it('keeps un-acknowledged messages across an application restart and resends them', () => {
    const host = new FakeHost();
    const hub = new FakeHub();
    hub.autoAck = false;
    const first = startDevice(host, { sensors: new FakeSensors(), hub, analytics: windowAnalytics() }, { deviceId: 'd' });
    hub.connect();
    host.advance(15000);
    expect(hub.sent).toHaveLength(3);
    first.stop();
    // Same storage, new application instance (a reboot), new connection.
    const hub2 = new FakeHub();
    const second = startDevice(host, { sensors: new FakeSensors(), hub: hub2, analytics: windowAnalytics() }, { deviceId: 'd' });
    expect(second.outboxCounts().pending).toBe(3);
    hub2.connect();
    expect(hub2.bodies('telemetry').map((b) => b.seq)).toEqual([0, 1, 2]);
    host.advance(5000);
    expect(hub2.bodies('telemetry').at(-1)?.seq).toBe(3); // the sequence continues after the restart
    expect(second.outboxCounts().pending).toBe(0);
    second.stop();
  });

  it('marks a missing sensor, keeps its last value on the display and reports the status in the twin', () => {
    const host = new FakeHost();
    const hub = new FakeHub();
    const sensors = new FakeSensors();
    const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'd' });
    hub.connect();
    host.advance(2000);
    sensors.set('28aa000000000002', undefined, 'missing');
    host.advance(1000);
    const line = device.display().sensors[1];
    expect(line).toMatchObject({ status: 'missing', celsius: 22 });
    const rep = hub.reported.at(-1) as { sensors: Record<string, { status: string }> };
    expect(rep.sensors['28aa000000000002'].status).toBe('missing');
    host.advance(2000);
    const t = hub.bodies('telemetry').at(-1) as { sensors: { value: number | null; status: string }[] };
    expect(t.sensors[1]).toMatchObject({ value: null, status: 'missing' });
    device.stop();
  });

  it('restores the configuration from storage after a restart and persists the sequence', () => {
    const host = new FakeHost();
    const hub = new FakeHub();
    const a = startDevice(host, { sensors: new FakeSensors(), hub, analytics: windowAnalytics() }, { deviceId: 'd' });
    hub.connect();
    hub.handlers?.onDesired({ $version: 2, telemetryIntervalMs: 2000 });
    a.stop();
    const b = startDevice(host, { sensors: new FakeSensors(), hub: new FakeHub(), analytics: windowAnalytics() }, { deviceId: 'd' });
    expect(b.config.telemetryIntervalMs).toBe(2000);
    b.stop();
  });
});
