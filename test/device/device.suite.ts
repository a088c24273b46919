/**
 * Device application vectors, run in Node and in XS: configuration validation, display text
 * sanitizing, the persistent outbox, and the application in simulated time.
 */
import { utf8Length } from '../../src/text/utf8';
import { windowAnalytics } from '../../src/device/adapters/analytics';
import { startDevice } from '../../src/device/app';
import { LiveConfig } from '../../src/device/config';
import { displayText, sanitizeText } from '../../src/device/display-text';
import { foldMessages, isFoldable } from '../../src/device/fold';
import { Outbox } from '../../src/device/outbox';
import { aggregateMessage, round3, telemetryMessage } from '../../src/device/telemetry';
import { SensorSettings } from '../../src/device/sensor-settings';
import type { Json, Suite } from '../harness';
import { FakeClock, FakeHost, MemoryStorage } from './fake-host';
import { FakeHub, FakeSensors } from './fakes';

function setup(): { host: FakeHost; hub: FakeHub; sensors: FakeSensors } {
  return { host: new FakeHost(), hub: new FakeHub(), sensors: new FakeSensors() };
}

/**
 * hosts/moddable/config.ts's defaults (sampling 10 s, telemetry and aggregation 60 s, outbox 50
 * messages / 8,192 bytes): 5 minutes online, then the hub unreachable for an hour with the device
 * restarted at half time, then online again. Every sample of every period that ended is in what
 * the hub received (telemetry's `aggregate` and `aggregate` messages, folded or not), and nothing
 * overflowed. Only the period running at the restart is lost (samples kept in RAM: TELEMETRY.md).
 */
function outageHour(t: Parameters<Suite['cases'][number]['run']>[0], count: number): Json {
  const host = new FakeHost();
  const hub = new FakeHub();
  const sensors = new FakeSensors();
  let reads = 0;
  sensors.readings = [];
  for (let k = 0; k < count; k++) sensors.readings.push({ id: `28aa00000000000${k}`, name: `T${k + 1}`, value: 20 + k, status: 'online' });
  const read = sensors.read.bind(sensors);
  // Flicker between two quantisation steps (a normal signal: no alert), so statistics vary.
  sensors.read = (done) => {
    reads++;
    for (let k = 0; k < count; k++) sensors.readings[k].value = 20 + k + 0.0625 * ((reads + k) % 2);
    read(done);
  };
  const options = {
    deviceId: 'dev1',
    config: { samplingIntervalMs: 10_000, telemetryIntervalMs: 60_000, aggregatePeriodMs: 60_000 },
    outbox: { maxCount: 50, maxBytes: 8192 },
  };
  const start = () => startDevice(host, { sensors, hub, analytics: windowAnalytics({ window: 60 }) }, options);
  let device = start();
  hub.connect();
  host.advance(300_000);
  hub.disconnect();
  host.advance(1_800_000);
  const readsBeforeRestart = reads;
  device.stop();
  device = start();
  host.advance(1_800_000);
  const samples = reads;
  hub.connect();
  host.advance(1_000); // drain the outbox (no sample in between)
  t.equal(reads, samples, 'no sample taken while draining');
  const counts = device.outboxCounts();
  t.equal(counts.overflow, 0, `${count} sensors: nothing dropped`);
  t.equal(counts.pending, 0, `${count} sensors: everything delivered`);
  // Every sensor's delivered sample count: all samples but the restart's running period and the current one.
  const delivered = new Map<string, number>();
  let folded = 0;
  let sections = 0;
  for (const b of hub.bodies()) {
    const section = (b.type === 'aggregate' ? b : b.aggregate) as { periodMs: number; sensors: { id: string; count: number }[] } | undefined;
    if (section === undefined) continue;
    sections++;
    if (typeof b.seqTo === 'number') folded++;
    for (const s of section.sensors) delivered.set(s.id, (delivered.get(s.id) ?? 0) + s.count);
  }
  // Samples are taken every 10 s and periods end every 60 s: at most 6 in the restart's running
  // period (RAM only) and at most 6 in the period running now.
  for (const r of sensors.readings) {
    const got = delivered.get(r.id) ?? 0;
    t.ok(got >= samples - 12 && got <= samples, `${count} sensors: ${r.id} delivered ${got} of ${samples} samples`);
  }
  t.ok(folded > 0, `${count} sensors: the full outbox folded`);
  t.ok(readsBeforeRestart > 0);
  device.stop();
  return { count, samples, sections, folded };
}

export const suite: Suite = {
  name: 'device',
  cases: [
    {
      name: 'config refuses invalid desired values with a reason and keeps the old value',
      run(t) {
        const c = new LiveConfig();
        const r = c.apply({ $version: 3, samplingIntervalMs: 2000, telemetryIntervalMs: 'fast', resolution: 13, anomalyThreshold: 2.5, bogus: 1, aggregatePeriodMs: 1.5e4 + 0.5 });
        t.equal(c.current.samplingIntervalMs, 2000);
        t.equal(c.current.telemetryIntervalMs, 5000);
        t.equal(c.current.resolution, 12);
        t.equal(c.current.anomalyThreshold, 2.5);
        t.equal(r.applied.join(','), 'samplingIntervalMs,anomalyThreshold');
        return r as unknown as Json;
      },
    },
    {
      name: 'display text: invalid UTF-8 becomes U+FFFD, controls are stripped, long text is truncated',
      run(t) {
        const decoded = displayText(new Uint8Array([0x48, 0xc3, 0xa9, 0xff, 0xe2, 0x82, 0x41, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0x80, 0xc0, 0xaf]), 100);
        t.equal(decoded, 'Hé\ufffd\ufffdA😀\ufffd\ufffd\ufffd\ufffd\ufffd');
        const clean = sanitizeText('a\u0000b\u0007c\td\u009be\u007f\nf', 100);
        t.equal(clean, 'abc de f');
        const long = sanitizeText('😀'.repeat(10), 4);
        t.equal(Array.from(long).length, 4);
        t.equal(long, '😀😀😀…');
        return [decoded, clean, long];
      },
    },
    {
      name: 'outbox: a message storage refuses (larger than a Preference value) stays in RAM and is sent; the refusal is told, not thrown (mcsim aborted on it with 8 sensors)',
      run(t) {
        /** NVS-like: refuses values over 200 chars, as hosts/moddable/storage refuses over 3,999 bytes. */
        class SmallValues extends MemoryStorage {
          override set(key: string, value: string): void {
            if (value.length > 200) throw new RangeError(`preference value too long for ${key}`);
            super.set(key, value);
          }
        }
        const storage = new SmallValues();
        const errors: string[] = [];
        const box = new Outbox(storage, new FakeClock(), { maxCount: 4, onStoreError: (m) => errors.push(m) });
        t.equal(box.push('small', { type: 'telemetry' }), true);
        t.equal(box.push('x'.repeat(500), { type: 'telemetry' }), true, 'pushed, not thrown');
        t.equal(box.push('small too', { type: 'telemetry' }), true);
        t.equal(errors.length, 1, 'told once');
        t.ok(/kept in RAM only: RangeError: preference value too long/.test(errors[0] ?? ''), errors[0] ?? '');
        box.persist(); // the hub went away: a retry may fail again, and still not throw
        const bodies: string[] = [];
        for (let m = box.takeNext(); m !== undefined; m = box.takeNext()) {
          bodies.push(m.body.length > 20 ? `${m.body.length} chars` : m.body);
          box.acknowledge(m.seq);
        }
        t.equal(bodies.join(','), 'small,500 chars,small too', 'all three sent, in order');
        t.equal(storage.keys('ob/').filter((k) => k !== 'ob/m').length, 0, 'no slot left behind');
        return bodies;
      },
    },
    {
      name: 'outbox is write-ahead, oldest first, survives a restart and deletes on ack',
      run(t) {
        const storage = new MemoryStorage();
        const clock = new FakeClock();
        const a = new Outbox(storage, clock, { maxCount: 10 });
        for (let i = 0; i < 5; i++) a.push(`m${i}`, { type: 'telemetry' });
        const first = a.takeNext();
        t.equal(first?.body, 'm0');
        a.acknowledge(first?.seq as number);
        t.equal(storage.keys('ob/').length, 5, '4 messages + index');
        // Restart: the in-flight state is gone, the messages are not.
        const b = new Outbox(storage, clock, { maxCount: 10 });
        const bodies: string[] = [];
        for (let m = b.takeNext(); m !== undefined; m = b.takeNext()) bodies.push(m.body);
        t.equal(bodies.join(','), 'm1,m2,m3,m4');
        return { bodies, counts: b.counts as unknown as Json, keys: storage.keys('ob/') };
      },
    },
    {
      name: 'outbox reuses a fixed set of keys: 2,100 messages through a 4-slot outbox, acked out of order, across restarts',
      run(t) {
        const storage = new MemoryStorage();
        const clock = new FakeClock();
        let box = new Outbox(storage, clock, { maxCount: 4 });
        const delivered: number[] = [];
        const everKeys = new Set<string>();
        let pushed = 0;
        for (let i = 0; i < 700; i++) {
          for (let k = 0; k < 3; k++) box.push(`m${pushed++}`, {});
          for (const k of storage.keys('ob/')) everKeys.add(k);
          const taken = [box.takeNext(), box.takeNext(), box.takeNext()];
          // Acknowledge the newer two, newest first (out of order); the oldest waits.
          for (const m of [taken[2], taken[1]]) {
            if (m) {
              box.acknowledge(m.seq);
              delivered.push(Number(m.body.slice(1)));
            }
          }
          box.releaseAll();
          if (i % 100 === 0) box = new Outbox(storage, clock, { maxCount: 4 });
        }
        const keys = [...everKeys].sort();
        t.equal(keys, ['ob/0', 'ob/1', 'ob/2', 'ob/3', 'ob/m']);
        t.equal(box.counts.pending + delivered.length + box.counts.overflow, pushed, 'every message delivered, pending or counted as overflow');
        t.equal(new Set(delivered).size, delivered.length, 'nothing delivered twice');
        // Order across a restart: what is left comes out oldest first.
        const again = new Outbox(storage, clock, { maxCount: 4 });
        const left: number[] = [];
        for (let m = again.takeNext(); m !== undefined; m = again.takeNext()) left.push(Number(m.body.slice(1)));
        t.equal(left.slice().sort((x, y) => x - y), left);
        return { keys, pending: box.counts.pending, overflow: box.counts.overflow, left };
      },
    },
    {
      name: 'outbox bounds count and bytes (overflow counted) and drops expired messages',
      run(t) {
        const storage = new MemoryStorage();
        const clock = new FakeClock();
        const reported: string[] = [];
        const box = new Outbox(storage, clock, { maxCount: 3, maxBytes: 1000, ttlMs: 60000, onStoreError: (m) => reported.push(m) });
        for (let i = 0; i < 5; i++) box.push(`m${i}`, {});
        t.equal(box.counts.pending, 3);
        t.equal(box.counts.overflow, 2);
        t.equal(box.takeNext()?.body, 'm2');
        box.releaseAll();
        t.equal(box.push('x'.repeat(2000), {}), false, 'larger than maxBytes');
        t.equal(reported.length, 1, 'a message that can never fit is reported');
        t.ok(/larger than the outbox's maxBytes 1000/.test(reported[0] ?? ''), reported[0]);
        t.equal(box.counts.overflow, 3, 'and counted');
        clock.ms += 60001;
        t.equal(box.expire(), 3);
        t.equal(box.counts.expired, 3);
        t.equal(storage.keys('ob/').join(','), 'ob/m');
        const big = new Outbox(new MemoryStorage(), clock, { maxCount: 100, maxBytes: 200 });
        for (let i = 0; i < 10; i++) big.push('y'.repeat(40), {});
        t.ok(big.counts.bytes <= 200);
        return [box.counts as unknown as Json, big.counts as unknown as Json];
      },
    },
    {
      name: 'application: telemetry schema, outage buffered in the outbox and delivered in order',
      run(t) {
        const { host, hub, sensors } = setup();
        const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'dev1', firmwareVersion: '1.2.3' });
        hub.connect();
        host.advance(5000);
        const first = hub.bodies('telemetry');
        t.equal(first.length, 1);
        const m = first[0] as { sensors: { id: string; value: number; mean: number; status: string }[]; deviceId: string; seq: number; ts: number; outbox: Json };
        t.equal(m.deviceId, 'dev1');
        t.equal(m.sensors.length, 2);
        t.equal(m.sensors[0].value, 21);
        t.equal(m.sensors[0].status, 'online');
        t.equal(m.ts, 1_700_000_005_000);
        hub.disconnect();
        host.advance(20000);
        t.equal(hub.bodies('telemetry').length, 1, 'nothing sent while down');
        t.equal(device.outboxCounts().pending, 4);
        hub.connect();
        const seqs = hub.bodies('telemetry').map((b) => b.seq as number);
        t.equal(seqs.join(','), '0,1,2,3,4');
        t.equal(device.outboxCounts().pending, 0);
        device.stop();
        return { first: first[0] as Json, seqs };
      },
    },
    {
      name: 'foldMessages: two periods become one whose count, mean, min, max, sample std, first and last are those of all the samples; telemetry folds by its aggregate; alerts and sectionless telemetry do not fold',
      run(t) {
        const samplesA = [20, 20.5, 21, 20.25];
        const samplesB = [22, 21.5, 23];
        const stats = (xs: number[]) => {
          const n = xs.length;
          const mean = xs.reduce((a, b) => a + b, 0) / n;
          const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
          return { count: n, mean: round3(mean), min: Math.min(...xs), max: Math.max(...xs), std: round3(std), first: xs[0], last: xs[n - 1] };
        };
        const section = (start: number, xs: number[], extra: { id: string; count: number }[] = []) => ({ periodStart: start, periodMs: 60_000, sensors: [{ id: 'A', name: 'T1', ...stats(xs) }, ...extra] });
        const env = (seq: number) => ({ deviceId: 'dev1', seq, epochMs: 1_700_000_000_000 + seq, uptimeMs: seq });
        const older = telemetryMessage(env(7), [], { pending: 0, bytes: 0, overflow: 0, expired: 0 }, section(1_000, samplesA) as never);
        const newer = aggregateMessage(env(8), section(61_000, samplesB, [{ id: 'B', name: 'T2', count: 3, mean: 5, min: 4, max: 6, std: 1, first: 4, last: 6 } as never]) as never);
        t.ok(isFoldable(older.properties, older.body) && isFoldable(newer.properties, newer.body));
        const folded = foldMessages(older, newer);
        t.ok(folded !== undefined);
        const body = JSON.parse((folded as { body: string }).body) as Record<string, unknown>;
        const a = (body.sensors as Record<string, unknown>[])[0];
        t.equal(a, { id: 'A', name: 'T1', ...stats(samplesA.concat(samplesB)) });
        t.equal([body.type, body.seq, body.seqTo, body.periodStart, body.periodMs, (body.sensors as { id: string }[])[1].id], ['aggregate', 7, 8, 1_000, 120_000, 'B']);
        t.equal((folded as { properties: Record<string, string> }).properties.type, 'aggregate');
        // Folding a fold continues seqTo; an alert and telemetry without an aggregate do not fold.
        const third = aggregateMessage(env(9), section(121_000, [19]) as never);
        const again = JSON.parse((foldMessages(folded as never, third) as { body: string }).body) as Record<string, unknown>;
        t.equal([again.seq, again.seqTo, again.periodMs, (again.sensors as { count: number }[])[0].count], [7, 9, 180_000, 8]);
        const bare = telemetryMessage(env(10), [], { pending: 0, bytes: 0, overflow: 0, expired: 0 });
        t.equal(isFoldable(bare.properties, bare.body), false);
        t.equal(isFoldable({ type: 'alert' }, '{"aggregate":{}}'), false);
        t.equal(foldMessages(bare, bare), undefined);
        t.equal(foldMessages({ body: 'not json', properties: {} }, newer), undefined);
        return body as Json;
      },
    },
    {
      name: "an hour's outage at the firmware's defaults loses no sample, with a restart in the middle: the full outbox folds telemetry into aggregates (3 and 8 sensors)",
      run(t) {
        const out: Json[] = [];
        for (const count of [3, 8]) out.push(outageHour(t, count));
        return out;
      },
    },
    {
      name: 'outbox write-behind: messages pushed while connected touch no storage unless persisted; persisted ones survive a restart in order',
      run(t) {
        const clock = new FakeClock();
        const storage = new MemoryStorage();
        const box = new Outbox(storage, clock, { maxCount: 5 });
        for (let i = 0; i < 3; i++) t.ok(box.push(`m${i}`, { type: 'telemetry' }, false));
        t.equal(storage.writes, 0, 'no write for messages kept in RAM');
        const a = box.takeNext();
        t.equal(a?.body, 'm0');
        box.acknowledge(a?.seq ?? -1);
        t.equal(storage.writes, 0, 'acknowledging a RAM message writes nothing');
        t.equal(box.unstored, 2);
        clock.ms = 40_000;
        t.ok(box.push('m3', { type: 'telemetry' }, false));
        box.persistOlderThan(10_000); // m1 and m2 (pushed at 0) are stored, m3 stays in RAM
        t.equal(box.unstored, 1);
        t.equal(storage.keys('ob/').length, 3, 'two slots and the index');
        // A power cut now loses m3 only; a stored message is acknowledged with a delete and an index write.
        const after = new Outbox(storage, clock, { maxCount: 5 });
        const bodies: string[] = [];
        for (let m = after.takeNext(); m !== undefined; m = after.takeNext()) bodies.push(m.body);
        t.equal(bodies.join(), 'm1,m2');
        box.persist();
        t.equal(box.unstored, 0);
        const again = new Outbox(storage, clock, { maxCount: 5 });
        const all: string[] = [];
        for (let m = again.takeNext(); m !== undefined; m = again.takeNext()) all.push(m.body);
        t.equal(all.join(), 'm1,m2,m3');
        // Overflow drops RAM messages first in age order like stored ones, and the count is kept.
        const small = new Outbox(new MemoryStorage(), clock, { maxCount: 2 });
        for (let i = 0; i < 4; i++) small.push(`s${i}`, {}, i % 2 === 0);
        t.equal(small.counts.overflow, 2);
        t.equal(small.takeNext()?.body, 's2');
        return [bodies.join(), all.join()];
      },
    },
    {
      name: 'application: online, telemetry is not written to storage; an outage and a crash lose nothing within capacity (write-ahead while the hub is away)',
      run(t) {
        const { host, hub, sensors } = setup();
        const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'dev1', config: { telemetryIntervalMs: 5000, aggregatePeriodMs: 60000 } });
        hub.connect();
        host.advance(60_000);
        const online = host.storage.keys('ob/');
        t.equal(online.length, 0, `no outbox key while the hub acknowledges at once, found ${online.join()}`);
        t.ok(host.storage.writes <= 3, `storage writes while online: ${host.storage.writes}`);
        // The hub stops acknowledging, then the connection drops: the unacknowledged message is stored.
        hub.autoAck = false;
        host.advance(5000);
        hub.disconnect();
        const atDrop = host.storage.keys('ob/').filter((k) => k !== 'ob/m').length;
        t.equal(atDrop, 1, 'the message in flight is stored when the connection is lost');
        host.advance(30_000); // 6 more messages, stored at once
        t.equal(host.storage.keys('ob/').filter((k) => k !== 'ob/m').length, 7);
        const lastSeq = (hub.bodies().pop() as { seq: number }).seq;
        // Crash: no stop(); a new device (a fresh host: no timers of the old one) on a copy of the storage.
        const host2 = new FakeHost();
        host2.clock.ms = host.clock.ms;
        for (const [k, v] of host.storage.map) host2.storage.map.set(k, v);
        const hub2 = new FakeHub();
        const device2 = startDevice(host2, { sensors, hub: hub2, analytics: windowAnalytics() }, { deviceId: 'dev1', config: { telemetryIntervalMs: 5000, aggregatePeriodMs: 60000 } });
        hub2.connect();
        const seqs = hub2.bodies('telemetry').map((b) => b.seq as number);
        t.equal(seqs.length, 7, `delivered after the restart: ${seqs.join()}`);
        t.equal(seqs[0], lastSeq, 'the message in flight at the drop comes first');
        for (let i = 1; i < 7; i++) t.equal(seqs[i], seqs[i - 1] + 1);
        host2.advance(5000);
        const next = hub2.bodies('telemetry').map((b) => b.seq as number);
        t.equal(next.length, 8);
        t.ok(next[7] > seqs[6], `numbers after the restart are new ones: ${next[7]} after ${seqs[6]}`);
        t.equal(device2.outboxCounts().pending, 0);
        t.equal(host2.storage.keys('ob/').filter((k) => k !== 'ob/m').length, 0, 'acknowledged messages deleted');
        device.stop();
        device2.stop();
        return seqs.slice(0, 7);
      },
    },
    {
      name: 'application: C2D text and commands reach the display model',
      run(t) {
        const { host, hub, sensors } = setup();
        const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'dev1' });
        hub.connect();
        hub.c2d('Hello\u0007 world', { sender: 'ops' });
        const shown = device.display().message;
        t.equal(shown?.text, 'Hello world');
        t.equal(shown?.sender, 'ops');
        hub.c2d('{"durationMs":3000}', { command: 'identify' });
        t.equal(device.display().identify, true);
        host.advance(3000);
        t.equal(device.display().identify, false);
        hub.c2d('{"samplingIntervalMs":50}', { command: 'setInterval' });
        t.equal(device.config.samplingIntervalMs, 1000, 'out of range refused');
        hub.c2d('{"telemetryIntervalMs":2000}', { command: 'setInterval' });
        t.equal(device.config.telemetryIntervalMs, 2000);
        hub.c2d('', { command: 'selfDestruct' });
        const errors = host.logs.filter((l) => l.source === 'c2d' && l.level === 'warn').map((l) => l.message);
        t.equal(errors.length, 2);
        hub.c2d(new Uint8Array(65537));
        t.equal(device.display().message?.text, 'Hello world', 'oversized message refused');
        hub.c2d('', { command: 'clear' });
        t.equal(device.display().message, undefined);
        device.stop();
        return { errors, model: device.display() as unknown as Json };
      },
    },
    {
      name: 'application: twin desired applied and reported, invalid refused and reported',
      run(t) {
        const { host, hub, sensors } = setup();
        hub.twin = { desired: { $version: 4, samplingIntervalMs: 500, resolution: 10 }, reported: {} };
        const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'dev1', firmwareVersion: '1.2.3' });
        hub.connect();
        t.equal(device.config.samplingIntervalMs, 500);
        t.equal(sensors.resolution, 10);
        const r1 = hub.reported[hub.reported.length - 1] as { config: { resolution: number }; firmware: string; desiredVersion: number; sensors: Json };
        t.equal(r1.config.resolution, 10);
        t.equal(r1.firmware, '1.2.3');
        t.equal(r1.desiredVersion, 4);
        hub.handlers?.onDesired({ $version: 5, resolution: 8, anomalyThreshold: 'x' });
        const r2 = hub.reported[hub.reported.length - 1] as { config: { resolution: number }; refused: Record<string, string>; lastError: { message: string } };
        t.equal(r2.config.resolution, 10, 'old value kept');
        t.ok(/below the minimum 9/.test(r2.refused.resolution));
        t.ok(/expected a number/.test(r2.refused.anomalyThreshold));
        hub.handlers?.onDesired({ $version: 6, resolution: 11 });
        const r3 = hub.reported[hub.reported.length - 1] as { refused: Record<string, string | null>; config: { resolution: number } };
        t.equal(r3.refused.resolution, null, 'refusal cleared');
        t.equal(r3.config.resolution, 11);
        device.stop();
        return { r1: r1 as unknown as Json, r2: r2 as unknown as Json, r3: r3 as unknown as Json };
      },
    },
    {
      name: 'sensor settings: each entry validated on its own, null restores the default, bounded, round-trips',
      run(t) {
        const s = new SensorSettings();
        const r1 = s.apply({
          '28aa000000000001': { name: 'Kitchen', offset: -0.25 },
          '28AA000000000002': { name: 'x'.repeat(25) },
          '28AA000000000003': { offset: 5.01 },
          '28AA000000000004': { name: 'Bad\u0007bell' },
          '28AA000000000005': { offset: Infinity },
          '28AA000000000006': { colour: 'red' },
          '28AA000000000007': 'Hall',
          'not-a-rom': { name: 'x' },
          '28AA000000000008': { name: '😀'.repeat(24), offset: 5 },
        });
        t.equal(s.get('28AA000000000001')?.name, 'Kitchen', 'ids are case-insensitive');
        t.equal(s.offset('28aa000000000001'), -0.25);
        t.equal(s.get('28AA000000000008')?.name, '😀'.repeat(24), '24 code points fit');
        t.equal(r1.changed.map((c) => c.id).join(','), '28AA000000000001,28AA000000000008');
        t.equal(r1.refused.length, 7);
        t.ok(/longer than 24/.test(r1.refused[0].reason));
        t.ok(/outside ±5/.test(r1.refused[1].reason));
        t.ok(/control/.test(r1.refused[2].reason));
        t.ok(/expected a number/.test(r1.refused[3].reason));
        // A bad field refuses the whole entry: the old value stays.
        const r2 = s.apply({ '28AA000000000001': { name: 'Den', offset: 'warm' }, '28AA000000000008': { name: null } });
        t.equal(s.get('28AA000000000001')?.name, 'Kitchen');
        t.equal(s.get('28AA000000000008')?.name, undefined, 'null restores the default name');
        t.equal(s.offset('28AA000000000008'), 5, 'the other field is kept (merge)');
        t.equal(r2.refused[0].property, 'sensors/28AA000000000001');
        // Bounded: at most 24 configured sensors (a full bus), all in one NVS value even with
        // the longest names (24 four-byte characters) and offsets.
        const longest = '\u{1F600}'.repeat(24);
        for (let i = 0; i < 30; i++) s.apply({ [`28BB0000000000${i < 10 ? '0' : ''}${i}`]: { name: longest, offset: -4.9375 } });
        t.equal(s.ids().length, 24);
        const capped = s.apply({ '28CC000000000001': { name: 'Twenty-fifth' } });
        t.ok(/at most 24/.test(capped.refused[0].reason));
        const text = s.serialize();
        t.ok(utf8Length(text) <= 3999, `${utf8Length(text)} bytes fit one NVS value`);
        const copy = new SensorSettings();
        copy.restore(text);
        t.equal(copy.serialize(), text);
        copy.restore('{corrupt');
        // A complete desired document replaces: entries it lacks return to defaults.
        const r3 = copy.apply({ '28AA000000000001': { offset: 1 } }, true);
        t.equal(copy.ids().join(','), '28AA000000000001');
        t.equal(copy.get('28AA000000000001')?.name, undefined);
        t.equal(r3.changed.length, 24, "every one of the 24 entries changes");
        t.equal(copy.apply(null).changed.length, 1);
        t.equal(copy.apply(3).refused[0].property, 'sensors');
        return { r1: r1 as unknown as Json, r2: r2 as unknown as Json, text };
      },
    },
    {
      name: 'application: twin sensor names and offsets reach telemetry, analytics, display and reported; refused entries reported',
      run(t) {
        const { host, hub, sensors } = setup();
        const device = startDevice(host, { sensors, hub, analytics: windowAnalytics({ window: 20 }) }, { deviceId: 'dev1' });
        hub.connect();
        host.advance(5000);
        hub.handlers?.onDesired({
          $version: 2,
          sensors: { '28aa000000000001': { name: 'Kitchen', offset: -0.25 }, '28AA000000000002': { offset: 9 }, '28AA0000000000FF': { name: 'Attic' } },
        });
        const r1 = hub.reported[hub.reported.length - 1] as { sensors: Record<string, { name: string | null; status: string; offset: number }>; refused: Record<string, string> };
        t.equal(JSON.stringify(r1.sensors['28aa000000000001']), '{"name":"Kitchen","status":"online","offset":-0.25,"resolution":null}');
        t.equal(JSON.stringify(r1.sensors['28aa000000000002']), '{"name":"T2","status":"online","offset":0,"resolution":null}', 'refused entry: old value kept');
        t.equal(JSON.stringify(r1.sensors['28AA0000000000FF']), '{"name":"Attic","status":"missing","offset":0,"resolution":null}', 'configured before it is found');
        t.ok(/offset: 9 is outside ±5/.test(r1.refused['sensors/28AA000000000002']));
        // Applied at once: display and the next telemetry carry the name and the calibrated value.
        t.equal(device.display().sensors[0].name, 'Kitchen');
        t.equal(device.display().sensors[0].celsius, 20.75);
        host.advance(5000);
        const tele = hub.bodies('telemetry');
        const last = tele[tele.length - 1] as { sensors: { id: string; name: string; value: number; mean: number; min: number; max: number; z: number; anomaly: boolean }[] };
        t.equal(last.sensors[0].name, 'Kitchen');
        t.equal(last.sensors[0].value, 20.75);
        // The window moved with the calibration: no step in the statistics and no anomaly.
        t.equal(last.sensors[0].mean, 20.75);
        t.equal(last.sensors[0].min, 20.75);
        t.equal(last.sensors[0].z, 0);
        t.equal(hub.sent.filter((m) => m.properties.type === 'alert').length, 0);
        t.equal(last.sensors[1].value, 22);
        // Fixing the entry clears the refusal; null restores the default name; offset stays.
        hub.handlers?.onDesired({ $version: 3, sensors: { '28AA000000000002': { offset: 0.5 }, '28aa000000000001': { name: null }, '28AA0000000000FF': null } });
        const r2 = hub.reported[hub.reported.length - 1] as { sensors: Record<string, { name: string; offset: number } | null>; refused: Record<string, string | null> };
        t.equal(r2.refused['sensors/28AA000000000002'], null);
        t.equal(r2.sensors['28aa000000000001']?.name, 'T1');
        t.equal(r2.sensors['28aa000000000001']?.offset, -0.25);
        t.equal(r2.sensors['28aa000000000002']?.offset, 0.5);
        t.equal(r2.sensors['28AA0000000000FF'], null, 'removed from the reported properties');
        hub.handlers?.onDesired({ $version: 4, sensors: { '28AA000000000003': { name: 'Cellar', offset: 1 } } });
        device.stop();
        // Restart on the same storage: settings come back and reach a sensor that appears later.
        const hub2 = new FakeHub();
        const sensors2 = new FakeSensors();
        const again = startDevice(host, { sensors: sensors2, hub: hub2, analytics: windowAnalytics() }, { deviceId: 'dev1' });
        hub2.twin = { desired: { $version: 4, sensors: { '28aa000000000001': { offset: -0.25 }, '28AA000000000002': { offset: 0.5 }, '28AA000000000003': { name: 'Cellar', offset: 1 } } }, reported: {} };
        t.equal(again.display().sensors[1].celsius, 22.5);
        sensors2.add({ id: '28AA000000000003', name: 'T3', value: 18, status: 'online' });
        host.advance(1000);
        t.equal(JSON.stringify(again.display().sensors[2]), '{"id":"28AA000000000003","name":"Cellar","celsius":19,"status":"online","anomaly":false}');
        hub2.connect();
        const r3 = hub2.reported[hub2.reported.length - 1] as { sensors: Json };
        again.stop();
        return { r1: r1 as unknown as Json, r2: r2 as unknown as Json, r3: r3.sensors, stored: host.storage.get('sensors') as string };
      },
    },
    {
      name: 'application: methods answer, unknown is 404, reboot restarts through the host',
      run(t) {
        const { host, hub, sensors } = setup();
        const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'dev1' });
        hub.connect();
        host.advance(3000);
        const stats = hub.method('getStats', '');
        t.equal(stats.status, 200);
        t.equal((stats.payload as { sensors: { count: number }[] }).sensors[0].count, 4);
        t.equal(JSON.stringify(stats.payload), JSON.stringify(device.stats()), 'the text getStats sends (built sensor by sensor) is stats() serialised whole');
        t.equal(hub.method('nope', '{}').status, 404);
        t.equal(hub.method('setInterval', '{"samplingIntervalMs":"2s"}').status, 400);
        t.equal(hub.method('setInterval', '{"samplingIntervalMs":2000}').status, 200);
        t.equal(device.config.samplingIntervalMs, 2000);
        t.equal(hub.method('identify', '{"durationMs":-1}').status, 400);
        t.equal(hub.method('identify', 'not json').status, 400);
        t.equal(hub.method('reboot', '').status, 200);
        t.equal(host.restarts, 0);
        host.advance(1000);
        t.equal(host.restarts, 1);
        t.equal(host.timers.count, 0, 'stopped: no timers left');
        return stats.payload as Json;
      },
    },
    {
      name: 'application: a spike raises one alert message (kind spike) and the display badge, then clears',
      run(t) {
        const { host, hub, sensors } = setup();
        const device = startDevice(host, { sensors, hub, analytics: windowAnalytics({ window: 20 }) }, { deviceId: 'dev1', config: { samplingIntervalMs: 10000 } });
        hub.connect();
        // 20 minutes of a steady, quantised reading: the detector judges from minute 15.
        for (let i = 0; i < 120; i++) {
          sensors.set('28aa000000000001', 21 + (i % 3 === 0 ? 0.0625 : 0));
          host.advance(10000);
        }
        const alertsOf = () => hub.sent.filter((s) => s.properties.alert === 'anomaly').map((s) => JSON.parse(s.body) as { state: string; kind: string; reason: string | null; sensor: { id: string; value: number; baseline: number } });
        t.equal(alertsOf().length, 0, 'a steady sensor one step from its mean raises nothing');
        sensors.set('28aa000000000001', 40);
        host.advance(10000);
        t.equal(device.display().anomaly, true);
        type StatsSensor = { id: string; anomaly: boolean; anomalyKind: string | null; anomalyDirection: string | null; alarm: string | null };
        const during = (hub.method('getStats', '').payload as { sensors: StatsSensor[] }).sensors.find((x) => x.id === '28aa000000000001');
        t.equal(JSON.stringify(during && [during.anomaly, during.anomalyKind, during.anomalyDirection, during.alarm]), '[true,"spike","up",null]', 'getStats carries the active anomaly alert');
        const alerts = alertsOf();
        t.equal(alerts.length, 1);
        t.equal(alerts[0].state, 'start');
        t.equal(alerts[0].kind, 'spike');
        t.equal(alerts[0].sensor.value, 40);
        t.ok(Math.abs(alerts[0].sensor.baseline - 21.02) < 0.05, `baseline ${alerts[0].sensor.baseline}`);
        sensors.set('28aa000000000001', 21);
        host.advance(10000);
        const after = alertsOf().map((a) => `${a.state}:${a.kind}:${a.reason}`);
        t.equal(after.join(','), 'start:spike:null,end:spike:returned');
        t.equal(device.display().anomaly, false);
        const ended = (hub.method('getStats', '').payload as { sensors: StatsSensor[] }).sensors.find((x) => x.id === '28aa000000000001');
        t.equal(JSON.stringify(ended && [ended.anomaly, ended.anomalyKind, ended.anomalyDirection]), '[false,null,null]', 'getStats: the alert ended');
        device.stop();
        return after;
      },
    },
    {
      name: 'application: an alert ends with its reason when the sensor goes missing; the badge and red value clear (issue #13 input 2)',
      run(t) {
        const { host, hub, sensors } = setup();
        const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'dev1', config: { samplingIntervalMs: 10000 } });
        hub.connect();
        for (let i = 0; i < 120; i++) {
          sensors.set('28aa000000000001', 21);
          host.advance(10000);
        }
        sensors.set('28aa000000000001', 30);
        host.advance(10000);
        t.equal(device.display().anomaly, true, 'the spike shows');
        sensors.set('28aa000000000001', undefined, 'missing');
        host.advance(10000);
        const alerts = hub.sent.filter((s) => s.properties.alert === 'anomaly').map((s) => JSON.parse(s.body) as { state: string; kind: string; reason: string | null });
        t.equal(alerts.map((a) => `${a.state}:${a.kind}:${a.reason}`).join(','), 'start:spike:null,end:spike:missing');
        t.equal(device.display().anomaly, false, 'no badge while the sensor is missing');
        const line = device.display().sensors.find((s) => s.id === '28aa000000000001');
        t.equal(line?.anomaly, false, 'the sensor line is not marked');
        t.equal(line?.status, 'missing');
        const stats = device.stats() as unknown as { sensors: { id: string; anomaly: boolean }[] };
        t.equal(stats.sensors.find((s) => s.id === '28aa000000000001')?.anomaly, false);
        device.stop();
        return alerts.map((a) => a.reason);
      },
    },
    {
      name: 'application: more sensors than maxSensors: the extra ones are reported, not tracked; a swapped sensor takes a missing one\'s place',
      run(t) {
        const { host, hub, sensors } = setup();
        for (let i = 3; i <= 5; i++) sensors.add({ id: `28aa00000000000${i}`, name: `T${i}`, value: 20 + i, status: 'online' });
        const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'dev1', maxSensors: 3, config: { samplingIntervalMs: 1000, telemetryIntervalMs: 5000 } });
        hub.connect();
        host.advance(5000);
        const last = (): { sensors: { id: string }[] } => JSON.parse(hub.sent.filter((m) => m.properties.alert === undefined).at(-1)?.body ?? '{}') as { sensors: { id: string }[] };
        t.equal(last().sensors.map((x) => x.id).join(','), '28aa000000000001,28aa000000000002,28aa000000000003', 'the first three are tracked');
        const reported = hub.reported.map((p) => JSON.stringify(p.lastError ?? null)).join('\n');
        t.ok(/2 sensor\(s\) on the bus not tracked: maxSensors is 3/.test(reported), 'the untracked ones are reported in lastError');
        t.equal((device.stats() as unknown as { sensors: unknown[] }).sensors.length, 3, 'getStats lists the tracked ones');
        // The first sensor is unplugged and a new one takes its place on the bus.
        sensors.set('28aa000000000001', undefined, 'missing');
        host.advance(2000);
        sensors.readings = sensors.readings.filter((r) => r.id !== '28aa000000000001' && r.id !== '28aa000000000005');
        host.advance(5000);
        t.equal(last().sensors.map((x) => x.id).sort().join(','), '28aa000000000002,28aa000000000003,28aa000000000004', 'the fourth took the missing one\'s place');
        t.throws(() => startDevice(host, { sensors, hub: new FakeHub(), analytics: windowAnalytics() }, { deviceId: 'dev2', maxSensors: 0 }), /maxSensors/);
        device.stop();
        return last().sensors.map((x) => x.id);
      },
    },
    {
      name: 'application: a faulty sensor ends its anomaly alert with reason faulty',
      run(t) {
        const { host, hub, sensors } = setup();
        const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'dev1', config: { samplingIntervalMs: 10000 } });
        hub.connect();
        for (let i = 0; i < 120; i++) {
          sensors.set('28aa000000000002', 22);
          host.advance(10000);
        }
        sensors.set('28aa000000000002', 12);
        host.advance(10000);
        sensors.set('28aa000000000002', 12);
        host.advance(10000);
        sensors.set('28aa000000000002', undefined, 'faulty');
        host.advance(10000);
        const alerts = hub.sent.filter((s) => s.properties.alert === 'anomaly').map((s) => JSON.parse(s.body) as { state: string; kind: string; direction: string; reason: string | null });
        const seen = alerts.map((a) => `${a.state}:${a.kind}:${a.direction}:${a.reason}`);
        t.equal(seen.join(','), 'start:spike:down:null,update:shift:down:null,end:shift:down:faulty');
        t.equal(device.display().anomaly, false);
        device.stop();
        return seen;
      },
    },
    {
      name: 'application: limit alarms set through the twin (refusals reported), sent as alarm=high start/end, shown; missing ends them',
      run(t) {
        const { host, hub, sensors } = setup();
        const device = startDevice(host, { sensors, hub, analytics: windowAnalytics() }, { deviceId: 'dev1', config: { samplingIntervalMs: 10000 } });
        hub.connect();
        const id = '28AA000000000001';
        hub.handlers?.onDesired({
          $version: 7,
          alarms: { [id]: { high: 25, hysteresis: 1, holdMs: 30000 }, '28AA000000000002': { high: 20, low: 19.5 }, bogus: { high: 1 } },
        });
        const r1 = hub.reported[hub.reported.length - 1] as { alarms: Record<string, Json>; refused: Record<string, string> };
        t.equal(JSON.stringify(r1.alarms[id]), JSON.stringify({ high: 25, low: null, hysteresis: 1, holdMs: 30000 }));
        t.ok(/twice the hysteresis/.test(r1.refused['alarms/28AA000000000002']), r1.refused['alarms/28AA000000000002']);
        t.ok(/ROM id/.test(r1.refused['alarms/bogus']));
        const alarmsSent = () => hub.sent.filter((m) => m.properties.alert === 'alarm').map((m) => {
          const b = JSON.parse(m.body) as { alarm: string; state: string; reason: string | null; limit: number; sensor: { value: number } };
          return `${m.properties.alarm}:${b.alarm}:${b.state}:${b.reason}:${b.limit}:${b.sensor.value}`;
        });
        // Noise around the limit: above for 30 s -> one alarm; dips to 24.5 stay inside the band.
        const values = [24, 25.5, 24.6, 25.4, 24.5, 25.2, 25.8, 24.4, 23.9, 23.5];
        for (const v of values) {
          sensors.set('28aa000000000001', v);
          host.advance(10000);
        }
        t.equal(alarmsSent().join(' '), 'high:high:start:null:25:24.5 high:high:end:returned:25:23.9');
        sensors.set('28aa000000000001', 27);
        for (let i = 0; i < 4; i++) host.advance(10000);
        t.equal(device.display().alarm, true);
        t.equal(device.display().sensors[0].alarm, 'high');
        type StatsSensor = { id: string; alarm: string | null; anomaly: boolean; anomalyKind: string | null; anomalyDirection: string | null };
        const statsOf = (sensorId: string) => (hub.method('getStats', '').payload as { sensors: StatsSensor[] }).sensors.find((x) => x.id === sensorId);
        t.equal(statsOf('28aa000000000001')?.alarm, 'high', 'getStats carries the active limit alarm');
        t.equal(statsOf('28aa000000000002')?.alarm, null, 'no alarm on a sensor without limits');
        sensors.set('28aa000000000001', undefined, 'missing');
        host.advance(10000);
        const all = alarmsSent();
        t.equal(all[all.length - 1], 'high:high:end:missing:25:null');
        t.equal(device.display().alarm, false);
        t.equal(device.display().sensors[0].alarm, undefined);
        t.equal(statsOf('28aa000000000001')?.alarm, null, 'getStats: the alarm ended with its sensor');
        hub.handlers?.onDesired({ $version: 8, alarms: { [id]: null, '28AA000000000002': null } });
        const r2 = hub.reported[hub.reported.length - 1] as { alarms: Record<string, Json>; refused: Record<string, string | null> };
        t.equal(r2.alarms[id], null, 'removed alarm reported as null');
        t.equal(r2.refused['alarms/28AA000000000002'], null, 'refusal cleared');
        t.ok(host.storage.get('alarms') === '{}', 'stored');
        device.stop();
        return all;
      },
    },
  ],
};
