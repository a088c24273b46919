/**
 * Telemetry, alert and aggregate messages: the JSON bodies and their message properties.
 * The schema is documented in TELEMETRY.md; keep the two in step.
 */
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

/** `aggregate`: the aggregation period that ended since the last telemetry message, if any (TELEMETRY.md). */
export function telemetryMessage(env: Envelope, sensors: SensorSnapshot[], outbox: OutboxCounts, aggregate?: AggregateSection): Message {
  const body = header('telemetry', env);
  body.sensors = sensors.map(({ reading, stats }) => ({
    id: reading.id,
    name: reading.name,
    value: num(reading.value),
    mean: stats && stats.count > 0 ? num(stats.mean) : null,
    std: stats && stats.count > 0 ? num(stats.std) : null,
    min: stats && stats.count > 0 ? num(stats.min) : null,
    max: stats && stats.count > 0 ? num(stats.max) : null,
    z: stats && stats.count > 0 ? num(stats.z) : null,
    anomaly: stats ? stats.anomaly : false,
    anomalyKind: stats && stats.alert ? stats.alert.kind : null,
    status: reading.status,
  }));
  body.outbox = { pending: outbox.pending, overflow: outbox.overflow, expired: outbox.expired };
  if (aggregate !== undefined) body.aggregate = aggregate;
  return { body: JSON.stringify(body), properties: properties('telemetry') };
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
