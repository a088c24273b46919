/**
 * Shared (Node + XS): the device's twin synchronization across connections (issue 12 inputs 4
 * and 5): the full desired document read at connect is authoritative whatever its version, it is
 * read and applied once per connect, and a refusal is warned about once.
 */
import { windowAnalytics } from '../../src/device/adapters/analytics';
import { startDevice } from '../../src/device/app';
import type { Json, Suite } from '../harness';
import { FakeHost } from './fake-host';
import { FakeHub, FakeSensors } from './fakes';

function last(hub: FakeHub): Record<string, unknown> {
  return hub.reported[hub.reported.length - 1] ?? {};
}

export const suite: Suite = {
  name: 'device/twin-sync',
  cases: [
    {
      name: 'a twin re-created on the hub ($version 7 -> 1): its full desired document applies at connect, and the next patch',
      run(t) {
        const host = new FakeHost();
        const hub = new FakeHub({ fullTwinOnConnect: true });
        const sensors = new FakeSensors();
        hub.twin = { desired: { $version: 7, resolution: 10, sensors: { '28AA000000000001': { name: 'Kitchen' } } }, reported: {} };
        const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'dev1' });
        hub.connect();
        host.advance(1000);
        t.equal(device.config.resolution, 10);
        t.equal(device.display().sensors[0]?.name, 'Kitchen');
        hub.disconnect();
        // Deleted and created again: a fresh twin, versions start over, no sensor names.
        hub.twin = { desired: { $version: 1, resolution: 9 }, reported: {} };
        hub.connect();
        t.equal(device.config.resolution, 9, 'version 1 after 7 is still the truth at connect');
        t.equal(sensors.resolution, 9);
        t.equal(last(hub).desiredVersion, 1);
        host.advance(1000);
        t.equal(device.display().sensors[0]?.name, 'T1', 'the full document replaces: a name it lacks returns to the default');
        hub.handlers?.onDesired({ $version: 2, resolution: 11 });
        t.equal(device.config.resolution, 11, 'the next patch is applied');
        t.equal(last(hub).desiredVersion, 2);
        t.equal(hub.getTwinCalls, 0, 'the connection delivered the twin; the device did not read it again');
        device.stop();
        return { reported: last(hub) as unknown as Json };
      },
    },
    {
      name: 'a refused desired value is warned about once: not again on a reconnect or a session takeover',
      run(t) {
        const twinWarnings = (host: FakeHost): string[] => host.logs.filter((l) => l.level === 'warn' && l.source === 'twin').map((l) => l.message);
        const out: Record<string, Json> = {};
        for (const full of [true, false]) {
          const host = new FakeHost();
          const hub = new FakeHub({ fullTwinOnConnect: full });
          hub.twin = { desired: { $version: 3, resolution: 8, samplingIntervalMs: 2000 }, reported: {} };
          const device = startDevice(host, { sensors: new FakeSensors(), hub, analytics: windowAnalytics() }, { deviceId: 'dev1' });
          hub.connect();
          t.equal(twinWarnings(host).length, 1, `one warning at boot (fullTwinOnConnect ${String(full)})`);
          t.ok(/resolution: 8 is below the minimum 9/.test(twinWarnings(host)[0] ?? ''));
          // A session takeover: the hub drops the connection, the device connects again.
          hub.disconnect();
          hub.connect();
          hub.disconnect();
          hub.connect();
          t.equal(twinWarnings(host).length, 1, 'the same refusal again is not a new warning');
          t.equal((last(hub).refused as Record<string, unknown>).resolution, 'resolution: 8 is below the minimum 9'.slice(12));
          // A different reason is news.
          hub.handlers?.onDesired({ $version: 4, resolution: 'nine' });
          t.equal(twinWarnings(host).length, 2);
          t.equal(hub.getTwinCalls, full ? 0 : 3);
          device.stop();
          out[String(full)] = twinWarnings(host);
        }
        return out;
      },
    },
  ],
};
