/**
 * Folding queued messages while the hub is unreachable (TELEMETRY.md, "Long outages"): when the
 * outbox is full, two adjacent waiting telemetry or aggregate messages become one `aggregate`
 * message whose period spans both, instead of the oldest being dropped. Every sample stays
 * counted: count, mean, min, max, std, first and last of the two periods combine exactly (up to
 * the 3-decimal rounding of the inputs); what is lost is the time resolution inside the folded
 * span and the telemetry snapshots (window statistics, z, status) of the folded messages.
 *
 *   isFoldable(properties, body): aggregate messages and telemetry carrying an aggregate fold.
 *   foldMessages(older, newer): the folded message, or undefined when a body is not one of ours.
 *
 * The combined standard deviation is the pooled sample standard deviation of the union (Chan,
 * Golub and LeVeque 1979, "Updating formulae and a pairwise algorithm for computing sample
 * variances": M2 = M2a + M2b + delta^2 * na * nb / n, std = sqrt(M2 / (n - 1))).
 * The folded message keeps the older one's header (seq, ts, uptimeMs) and adds `seqTo`, the last
 * sequence number it covers.
 */
import type { MessageProperties } from './ports';
import { header, num, properties, type Message } from './telemetry';

interface SensorEntry {
  id: string;
  name: string;
  count: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  std: number | null;
  first: number | null;
  last: number | null;
}

interface Section {
  periodStart: number | null;
  periodMs: number;
  sensors: SensorEntry[];
}

interface Parsed {
  v: number;
  type: string;
  deviceId: string;
  seq: number;
  seqTo?: number;
  ts: number | null;
  uptimeMs: number;
  /** The period statistics the message carries, if any. */
  section: Section | undefined;
}

/**
 * Aggregate messages, and telemetry carrying a period's aggregate, fold; alerts and telemetry
 * without an aggregate (telemetry more frequent than aggregation) do not: folding them would keep
 * nothing but drop their snapshot silently, so they are dropped as overflow when the outbox is
 * full, oldest first, and counted.
 */
export function isFoldable(p: MessageProperties, body: string): boolean {
  return p.type === 'aggregate' || (p.type === 'telemetry' && body.indexOf('"aggregate":{') >= 0);
}

/** The folded message of `older` and `newer` (adjacent, older first), or undefined. */
export function foldMessages(older: Message, newer: Message): Message | undefined {
  const a = parse(older.body);
  const b = parse(newer.body);
  if (a === undefined || b === undefined || (a.section === undefined && b.section === undefined)) return undefined;
  const section = a.section === undefined ? b.section : b.section === undefined ? a.section : foldSections(a.section, b.section);
  const body = header('aggregate', { deviceId: a.deviceId, seq: a.seq, epochMs: a.ts === null ? undefined : a.ts, uptimeMs: a.uptimeMs });
  body.seqTo = b.seqTo ?? b.seq;
  body.periodStart = section === undefined ? null : section.periodStart;
  body.periodMs = section === undefined ? 0 : section.periodMs;
  body.sensors = section === undefined ? [] : section.sensors;
  return { body: JSON.stringify(body), properties: properties('aggregate') };
}

function parse(body: string): Parsed | undefined {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (m === null || typeof m !== 'object' || typeof m.seq !== 'number' || typeof m.deviceId !== 'string') return undefined;
  let section: Section | undefined;
  if (m.type === 'aggregate') section = asSection(m);
  else if (m.type === 'telemetry') section = m.aggregate === undefined ? undefined : asSection(m.aggregate as Record<string, unknown>);
  else return undefined;
  return {
    v: typeof m.v === 'number' ? m.v : 1,
    type: m.type,
    deviceId: m.deviceId,
    seq: m.seq,
    seqTo: typeof m.seqTo === 'number' ? m.seqTo : undefined,
    ts: typeof m.ts === 'number' ? m.ts : null,
    uptimeMs: typeof m.uptimeMs === 'number' ? m.uptimeMs : 0,
    section,
  };
}

function asSection(s: Record<string, unknown> | null): Section | undefined {
  if (s === null || typeof s !== 'object' || !Array.isArray(s.sensors) || typeof s.periodMs !== 'number') return undefined;
  return { periodStart: typeof s.periodStart === 'number' ? s.periodStart : null, periodMs: s.periodMs, sensors: s.sensors as SensorEntry[] };
}

function foldSections(a: Section, b: Section): Section {
  const periodStart = a.periodStart;
  const periodMs = a.periodStart !== null && b.periodStart !== null ? b.periodStart + b.periodMs - a.periodStart : a.periodMs + b.periodMs;
  const sensors: SensorEntry[] = [];
  for (const x of a.sensors) {
    const y = b.sensors.find((s) => s.id === x.id);
    sensors.push(y === undefined ? x : foldSensor(x, y));
  }
  for (const y of b.sensors) if (!a.sensors.some((s) => s.id === y.id)) sensors.push(y);
  return { periodStart, periodMs, sensors };
}

/** One sensor's statistics over both periods (`x` the older). */
function foldSensor(x: SensorEntry, y: SensorEntry): SensorEntry {
  const na = x.count;
  const nb = y.count;
  if (!(na > 0) || x.mean === null) return y;
  if (!(nb > 0) || y.mean === null) return x;
  const n = na + nb;
  const delta = y.mean - x.mean;
  const mean = x.mean + (delta * nb) / n;
  const sa = x.std ?? 0;
  const sb = y.std ?? 0;
  const m2 = sa * sa * (na - 1) + sb * sb * (nb - 1) + (delta * delta * na * nb) / n;
  return {
    id: x.id,
    name: y.name,
    count: n,
    mean: num(mean),
    min: x.min === null ? y.min : y.min === null ? x.min : Math.min(x.min, y.min),
    max: x.max === null ? y.max : y.max === null ? x.max : Math.max(x.max, y.max),
    std: num(n < 2 ? 0 : Math.sqrt(m2 / (n - 1))),
    first: x.first ?? y.first,
    last: y.last ?? x.last,
  };
}
