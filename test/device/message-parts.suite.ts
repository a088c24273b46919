/**
 * Shared (Node + XS): a round's telemetry and aggregate split into parts that each fit one NVS
 * value in the outbox's stored form and one 4 KB billing unit (src/device/message-parts).
 */
import type { Json, Suite } from '../harness';
import { MAX_VALUE_BYTES } from '../../hosts/moddable/storage-limits';
import { PART_BYTES } from '../../src/device/message-parts';
import { storedForm } from '../../src/device/outbox';
import type { SensorReading, SensorStats } from '../../src/device/ports';
import { aggregateMessages, aggregateSection, telemetryMessage, telemetryMessages, type Envelope, type SensorSnapshot } from '../../src/device/telemetry';
import { utf8Length } from '../../src/text/utf8';

const COUNTS = { pending: 3, bytes: 900, overflow: 0, expired: 0 };

/** `n` sensors named by `name(i)`, each with a value and window stats. */
function snapshots(n: number, name: (i: number) => string): SensorSnapshot[] {
  const out: SensorSnapshot[] = [];
  for (let i = 0; i < n; i++) {
    const reading: SensorReading = { id: `28${(0xa0000000 + i).toString(16).toUpperCase()}0000${(i % 16).toString(16).toUpperCase()}1`, name: name(i), value: 21.0625 + i / 16, status: 'online', resolution: 12 };
    const stats: SensorStats = { count: 60, mean: 21.03 + i, std: 0.0123, min: 20.9375, max: 21.125 + i, z: -0.512, anomaly: false };
    out.push({ reading, stats });
  }
  return out;
}

/** Envelopes with consecutive seqs and times that move on at every call (parts must not show it). */
function envelopes(): () => Envelope {
  let seq = 100;
  let t = 0;
  return () => ({ deviceId: 'thermo-01', seq: seq++, epochMs: 1_700_000_000_000 + (t += 7), uptimeMs: 5000 + t });
}

interface Body {
  seq: number;
  ts: number;
  uptimeMs: number;
  part?: number;
  parts?: number;
  type: string;
  sensors: { id: string; name: string }[];
  aggregate?: unknown;
}

/** Checks the parts of one round; returns their bodies. */
function checkRound(t: { equal<T>(a: T, e: T, m?: string): void; ok(c: unknown, m?: string): void }, bodies: string[], ids: string[]): Body[] {
  const parsed = bodies.map((b) => JSON.parse(b) as Body);
  parsed.forEach((b, i) => {
    const stored = storedForm(b.seq, 1_700_086_400_000, 1, { '$.ct': 'application/json', '$.ce': 'utf-8', type: b.type }, bodies[i]);
    t.ok(utf8Length(stored) <= MAX_VALUE_BYTES, `part ${i + 1} stored in ${utf8Length(stored)} B, one NVS value`);
    t.ok(utf8Length(bodies[i]) <= PART_BYTES, `part ${i + 1} is ${utf8Length(bodies[i])} B, within one billing unit`);
    t.equal(b.seq, parsed[0].seq + i, 'consecutive seqs');
    t.equal([b.ts, b.uptimeMs], [parsed[0].ts, parsed[0].uptimeMs], 'one round: the same time');
    if (parsed.length > 1) t.equal([b.part, b.parts], [i + 1, parsed.length]);
  });
  t.equal(parsed.flatMap((b) => b.sensors.map((s) => s.id)), ids, 'every sensor once, in order');
  return parsed;
}

export const suite: Suite = {
  name: 'device/message-parts',
  cases: [
    {
      name: 'a round that fits is one message, exactly telemetryMessage\'s, aggregate included',
      run: (t) => {
        const sensors = snapshots(3, (i) => `T${i + 1}`);
        const section = aggregateSection(1_700_000_000_000, 60_000, sensors.map((s) => ({ id: s.reading.id, name: s.reading.name, aggregate: { count: 6, mean: 21, min: 20.9, max: 21.1, std: 0.05, first: 21, last: 21.1 } })));
        const messages = telemetryMessages(envelopes(), sensors, COUNTS, section);
        t.equal(messages.length, 1);
        t.equal(messages[0].body, telemetryMessage(envelopes()(), sensors, COUNTS, section).body);
        return messages[0].body;
      },
    },
    {
      name: '24 sensors with the longest names (emoji, quotes that escape twice, umlauts) go in parts that each fit one NVS value',
      run: (t) => {
        const names = [() => '😀'.repeat(24), (i: number) => '"'.repeat(23) + String(i % 10), (i: number) => `Kühlraum Süd Fühler ${i + 1}`];
        const out: Json[] = [];
        for (const name of names) {
          const sensors = snapshots(24, name);
          const bodies = telemetryMessages(envelopes(), sensors, COUNTS).map((m) => m.body);
          t.ok(bodies.length > 1, 'split');
          const parsed = checkRound(t, bodies, sensors.map((s) => s.reading.id));
          parsed.forEach((b) => b.sensors.forEach((s, k) => t.ok(sensors.some((x) => x.reading.id === s.id && x.reading.name === s.name), `name intact ${k}`)));
          out.push(bodies.map((b) => utf8Length(b)));
        }
        return out;
      },
    },
    {
      name: 'an aggregate that does not fit rides alone first, itself in parts; telemetry parts follow with later seqs',
      run: (t) => {
        const sensors = snapshots(24, (i) => `Kühlraum Süd Fühler ${i + 1}`);
        const section = aggregateSection(1_700_000_000_000, 60_000, sensors.map((s) => ({ id: s.reading.id, name: s.reading.name, aggregate: { count: 6, mean: 21, min: 20.9, max: 21.1, std: 0.05, first: 21, last: 21.1 } })));
        const messages = telemetryMessages(envelopes(), sensors, COUNTS, section);
        const types = messages.map((m) => (JSON.parse(m.body) as Body).type);
        const aggregates = messages.filter((_, i) => types[i] === 'aggregate').map((m) => m.body);
        const telemetry = messages.filter((_, i) => types[i] === 'telemetry').map((m) => m.body);
        t.ok(types.lastIndexOf('aggregate') < types.indexOf('telemetry'), 'aggregate first');
        t.ok(telemetry.every((b) => (JSON.parse(b) as Body).aggregate === undefined), 'no telemetry part carries it');
        const ids = sensors.map((s) => s.reading.id);
        checkRound(t, aggregates, ids);
        checkRound(t, telemetry, ids);
        const alone = aggregateMessages(envelopes(), section).map((m) => m.body);
        t.equal(alone.length, aggregates.length);
        return types;
      },
    },
  ],
};
