/**
 * Telemetry, alert and aggregate messages: the JSON bodies and their message properties.
 * The schema is documented in TELEMETRY.md; keep the two in step.
 */
import { jsonWithArray } from './json-text';
import { itemsBytes, partition, PART_BYTES, PART_OVERHEAD_BYTES } from './message-parts';
import type { OutboxCounts } from './outbox';
import type { MessageProperties, PeriodAggregate, SensorReading, SensorStats } from './ports';

export const SCHEMA_VERSION = 1;

/** Rounds to 3 decimals so messages stay short and identical across engines. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function num(x: number | undefined): number | null {
  return x === undefined || !Number.isFinite(x) ? null : round3(x);
}

export interface SensorSnapshot {
  reading: SensorReading;
  stats: SensorStats | undefined;
}

export interface Envelope {
  deviceId: string;
  seq: number;
  /** Wall-clock time, epoch ms, or undefined when the host has no real time yet. */
  epochMs: number | undefined;
  uptimeMs: number;
}

export function header(type: string, env: Envelope): Record<string, unknown> {
  return {
    v: SCHEMA_VERSION,
    type,
    deviceId: env.deviceId,
    seq: env.seq,
    ts: env.epochMs === undefined ? null : env.epochMs,
    uptimeMs: Math.round(env.uptimeMs),
  };
}

export interface Message {
  body: string;
  properties: MessageProperties;
}

/**
 * The property sets of the message types without extra properties, built once and shared by
 * every message (frozen): the hub port recognises a set it has seen by identity and builds its
 * topic once (ports.ts).
 */
const SHARED_PROPERTIES: Readonly<Record<string, MessageProperties>> = Object.freeze({
  telemetry: Object.freeze({ '$.ct': 'application/json', '$.ce': 'utf-8', type: 'telemetry' }),
  aggregate: Object.freeze({ '$.ct': 'application/json', '$.ce': 'utf-8', type: 'aggregate' }),
});

/** Properties every message carries (IoT Hub routes on them). Do not modify the result. */
export function properties(type: string, extra?: MessageProperties): MessageProperties {
  if (extra === undefined && (type === 'telemetry' || type === 'aggregate')) return SHARED_PROPERTIES[type];
  const p: MessageProperties = { '$.ct': 'application/json', '$.ce': 'utf-8', type };
  return extra ? Object.assign(p, extra) : p;
}

/** Something that walks its sensors in order, each with its reading and stats (SensorTable). */
export interface SnapshotSource {
  eachSnapshot(visit: (reading: SensorReading, stats: SensorStats | undefined) => void): void;
}

/** One sensor's entry of a telemetry message's `sensors` (TELEMETRY.md). */
export function sensorTelemetry(reading: SensorReading, stats: SensorStats | undefined): Record<string, unknown> {
  const valued = stats !== undefined && stats.count > 0;
  return {
    id: reading.id,
    name: reading.name,
    value: num(reading.value),
    mean: valued ? num(stats.mean) : null,
    std: valued ? num(stats.std) : null,
    min: valued ? num(stats.min) : null,
    max: valued ? num(stats.max) : null,
    z: valued ? num(stats.z) : null,
    anomaly: stats ? stats.anomaly : false,
    anomalyKind: stats && stats.alert ? stats.alert.kind : null,
    status: reading.status,
  };
}

/** Each sensor's telemetry entry as JSON text, in order (one sensor's objects live at a time). */
function sensorItems(sensors: SensorSnapshot[] | SnapshotSource): string[] {
  const items: string[] = [];
  const add = (reading: SensorReading, stats: SensorStats | undefined): void => {
    items.push(JSON.stringify(sensorTelemetry(reading, stats)));
  };
  if (Array.isArray(sensors)) for (const s of sensors) add(s.reading, s.stats);
  else sensors.eachSnapshot(add);
  return items;
}

function outboxTail(outbox: OutboxCounts): Record<string, unknown> {
  return { outbox: { pending: outbox.pending, overflow: outbox.overflow, expired: outbox.expired } };
}

/**
 * One telemetry message with every sensor. `aggregate`: the aggregation period that ended since
 * the last telemetry message, if any (TELEMETRY.md). The sensors' entries are serialised one at
 * a time (json-text.ts), so a full bus does not hold every entry's objects at once.
 */
export function telemetryMessage(env: Envelope, sensors: SensorSnapshot[] | SnapshotSource, outbox: OutboxCounts, aggregate?: AggregateSection): Message {
  const tail = outboxTail(outbox);
  if (aggregate !== undefined) tail.aggregate = aggregate;
  return { body: jsonWithArray(header('telemetry', env), 'sensors', sensorItems(sensors), tail), properties: properties('telemetry') };
}

/**
 * A round's telemetry: one message as telemetryMessage makes it when it fits `partBytes`
 * (message-parts.ts), else parts, each with a share of the sensors. `envelope` is called once
 * per message, in order (each takes a seq). `aggregate` rides on the one message when it fits
 * too; otherwise it goes first, as aggregate message(s) of its own (aggregateMessages).
 */
export function telemetryMessages(next: () => Envelope, sensors: SensorSnapshot[] | SnapshotSource, outbox: OutboxCounts, aggregate?: AggregateSection, partBytes = PART_BYTES): Message[] {
  const envelope = sameTime(next);
  const items = sensorItems(sensors);
  const budget = partBytes - PART_OVERHEAD_BYTES;
  const tail = outboxTail(outbox);
  const bytes = itemsBytes(items);
  if (aggregate !== undefined && bytes + itemsBytes([JSON.stringify(aggregate)]) <= budget) {
    tail.aggregate = aggregate;
    return [{ body: jsonWithArray(header('telemetry', envelope()), 'sensors', items, tail), properties: properties('telemetry') }];
  }
  const out = aggregate === undefined ? [] : aggregateMessages(envelope, aggregate, partBytes);
  const runs = bytes <= budget ? [items] : partition(items, budget);
  for (let i = 0; i < runs.length; i++) {
    const head = header('telemetry', envelope());
    if (runs.length > 1) markPart(head, i, runs.length);
    out.push({ body: jsonWithArray(head, 'sensors', runs[i], tail), properties: properties('telemetry') });
  }
  return out;
}

/** Envelopes from `next` (each its own seq) that all carry the first one's ts and uptimeMs: the parts of one round. */
function sameTime(next: () => Envelope): () => Envelope {
  let first: Envelope | undefined;
  return () => {
    const e = next();
    if (first === undefined) first = e;
    else {
      e.epochMs = first.epochMs;
      e.uptimeMs = first.uptimeMs;
    }
    return e;
  };
}

/** `part` (1-based) and `parts` of a message split by sensors (TELEMETRY.md, "Parts"). */
function markPart(head: Record<string, unknown>, index: number, count: number): void {
  head.part = index + 1;
  head.parts = count;
}

/**
 * An anomaly alert's start, update (its kind became clearer) or end. `stats.alert` says what the
 * alert saw (kind, direction, baseline) and, on 'end', why it ended.
 */
export function alertMessage(
  env: Envelope,
  reading: SensorReading,
  stats: SensorStats,
  state: 'start' | 'update' | 'end',
  threshold: number,
): Message {
  const body = header('alert', env);
  const a = stats.alert;
  body.alert = 'anomaly';
  body.state = state;
  body.kind = a ? a.kind : null;
  body.direction = a ? (a.direction > 0 ? 'up' : 'down') : null;
  body.reason = a && a.reason !== undefined ? a.reason : null;
  body.sensor = {
    id: reading.id,
    name: reading.name,
    value: num(reading.value),
    baseline: a ? num(a.baseline) : null,
    mean: num(stats.mean),
    std: num(stats.std),
    z: num(stats.z),
  };
  body.threshold = threshold;
  const props: MessageProperties = { alert: 'anomaly' };
  if (a) props.kind = a.kind;
  return { body: JSON.stringify(body), properties: properties('alert', props) };
}

export interface SensorAggregate {
  id: string;
  name: string;
  aggregate: PeriodAggregate;
}

/** One aggregation period's statistics: an aggregate message's fields, or a telemetry message's `aggregate`. */
export interface AggregateSection {
  periodStart: number | null;
  periodMs: number;
  sensors: Record<string, unknown>[];
}

export function aggregateSection(periodStartMs: number | null, periodMs: number, sensors: SensorAggregate[]): AggregateSection {
  return { periodStart: periodStartMs, periodMs, sensors: sensors.map(aggregateEntry) };
}

/** A message of its own for an aggregate (when no telemetry message carries it). */
export function aggregateMessage(env: Envelope, section: AggregateSection): Message {
  const body = header('aggregate', env);
  body.periodStart = section.periodStart;
  body.periodMs = section.periodMs;
  body.sensors = section.sensors;
  return { body: JSON.stringify(body), properties: properties('aggregate') };
}

/**
 * An aggregate as one message (aggregateMessage's text) when it fits `partBytes`, else as parts
 * with a share of the sensors each (message-parts.ts); `envelope` is called once per message.
 */
export function aggregateMessages(next: () => Envelope, section: AggregateSection, partBytes = PART_BYTES): Message[] {
  const envelope = sameTime(next);
  const items = section.sensors.map((s) => JSON.stringify(s));
  const budget = partBytes - PART_OVERHEAD_BYTES;
  const runs = itemsBytes(items) <= budget ? [items] : partition(items, budget);
  const out: Message[] = [];
  for (let i = 0; i < runs.length; i++) {
    const head = header('aggregate', envelope());
    if (runs.length > 1) markPart(head, i, runs.length);
    head.periodStart = section.periodStart;
    head.periodMs = section.periodMs;
    out.push({ body: jsonWithArray(head, 'sensors', runs[i], {}), properties: properties('aggregate') });
  }
  return out;
}

function aggregateEntry({ id, name, aggregate: a }: SensorAggregate): Record<string, unknown> {
  return {
    id,
    name,
    count: a.count,
    mean: num(a.mean),
    min: num(a.min),
    max: num(a.max),
    std: num(a.std),
    first: num(a.first),
    last: num(a.last),
  };
}
