/**
 * The application's view of the sensors: each sensor's latest reading, its analytics and stats,
 * in the order of the last sampling round. Sampling updates it; telemetry, the display, the
 * reported twin and getStats read from it.
 */
import type { AnalyticsFactory, AnomalyTransition, SensorAnalytics, SensorReading, SensorStats } from './ports';
import type { SensorSettings } from './sensor-settings';
import type { SensorAggregate, SensorSnapshot } from './telemetry';
import type { ReportedSensor } from './twin';

/**
 * A tracked sensor. Its stats are not kept here but asked of its analytics when read: in XS a
 * stats object is 9 slots, and 24 sensors' worth held between rounds was 216 slots of the
 * ESP32's 4,928 (issue 11).
 */
interface SensorEntry {
  reading: SensorReading;
  analytics: SensorAnalytics;
}

/** What one sampling round changed. */
export interface RoundResult {
  /** A sensor appeared, vanished, or changed status, resolution or refused settings. */
  statusChanged: boolean;
  /** Sensors with a finite value this round. */
  online: number;
  /** Sensors on the bus this round that are not tracked: maxSensors were tracked already. */
  untracked: number;
}

/**
 * Called for each anomaly start, update (a spike became a shift, a shift a trend) or end, with the
 * sensor's stats after the sample (stats.alert says what the alert saw and, on 'end', why it ended).
 */
export type TransitionHandler = (reading: SensorReading, stats: SensorStats, transition: 'start' | 'update' | 'end') => void;

export class SensorTable {
  private readonly analytics: AnalyticsFactory;
  private readonly threshold: () => number;
  private readonly resolution: () => number;
  private readonly entries = new Map<string, SensorEntry>();
  private order: string[] = [];
  private lastUntracked = 0;
  /** At most this many sensors have analytics (each costs memory: with window 60 about 88 XS slots and 1.5 KB of chunk, bench:analytics). */
  readonly maxSensors: number;

  /**
   * `threshold`: the spike limit a new sensor's analytics start with; `resolution`: the sensors'
   * resolution in bits (the detector's quantisation floor follows it); `maxSensors`: how many
   * sensors are tracked at most. A sensor beyond it takes the place of one that is not online
   * (a sensor swapped for another), or else is left out of telemetry and counted in `untracked`,
   * so a bus with more sensors than the heap holds is reported instead of exhausting it.
   * Throws RangeError when maxSensors is not a positive integer.
   */
  constructor(analytics: AnalyticsFactory, threshold: () => number, resolution: () => number = () => 12, maxSensors = 32) {
    if (!Number.isInteger(maxSensors) || maxSensors < 1) throw new RangeError(`maxSensors must be a positive integer, got ${maxSensors}`);
    this.analytics = analytics;
    this.threshold = threshold;
    this.resolution = resolution;
    this.maxSensors = maxSensors;
  }

  /** Takes one sampling round's readings; pushes each online value into its sensor's analytics. */
  update(readings: SensorReading[], now: number, onTransition: TransitionHandler): RoundResult {
    let statusChanged = readings.length !== this.order.length;
    const newOrder: string[] = [];
    let online = 0;
    let untracked = 0;
    for (const r of readings) {
      const e = this.entryFor(r, readings);
      if (e === undefined) {
        untracked++;
        continue;
      }
      if (reportedChange(e.reading, r)) statusChanged = true;
      e.reading = r;
      newOrder.push(r.id);
      if (r.status === 'online' && r.value !== undefined && Number.isFinite(r.value)) {
        online++;
        const { stats, transition } = e.analytics.push(r.value, now);
        if (transition !== undefined) onTransition(r, stats, transition as Exclude<AnomalyTransition, undefined>);
      } else if (r.status !== 'online') {
        // No values: an alert cannot be judged, so it ends with the sensor's state as its reason.
        const { stats, transition } = e.analytics.interrupt(r.status);
        if (transition === 'end') onTransition(r, stats, 'end');
      }
    }
    this.order = newOrder;
    if (untracked !== this.lastUntracked) statusChanged = true;
    this.lastUntracked = untracked;
    return { statusChanged, online, untracked };
  }

  /** The sensor's entry, made if there is room (or a sensor not online to replace); else undefined. */
  private entryFor(r: SensorReading, round: readonly SensorReading[]): SensorEntry | undefined {
    let e = this.entries.get(r.id);
    if (e === undefined) {
      if (this.entries.size >= this.maxSensors) {
        const replaced = this.notOnline(round);
        if (replaced === undefined) return undefined;
        this.entries.delete(replaced);
      }
      e = { reading: r, analytics: this.analytics.create(r.id, this.threshold()) };
      e.analytics.setResolution(this.resolution());
      this.entries.set(r.id, e);
    }
    return e;
  }

  /** A tracked sensor that is neither online now nor in this round as online (rare: only at the cap). */
  private notOnline(round: readonly SensorReading[]): string | undefined {
    for (const [id, e] of this.entries) {
      if (e.reading.status === 'online') continue;
      if (round.some((r) => r.id === id && r.status === 'online')) continue;
      return id;
    }
    return undefined;
  }

  /** Latest stats of a sensor (undefined before its first good sample); a new object each call. */
  stats(id: string): SensorStats | undefined {
    const e = this.entries.get(id);
    return e === undefined ? undefined : statsOf(e);
  }

  /** Readings of the last round, in order. */
  readings(): SensorReading[] {
    const out: SensorReading[] = [];
    for (const id of this.order) {
      const e = this.entries.get(id);
      if (e) out.push(e.reading);
    }
    return out;
  }

  /** Calls `visit` with each tracked sensor's reading and stats, in order (telemetry's SnapshotSource). */
  eachSnapshot(visit: (reading: SensorReading, stats: SensorStats | undefined) => void): void {
    for (const id of this.order) {
      const e = this.entries.get(id);
      if (e) visit(e.reading, statsOf(e));
    }
  }

  snapshots(): SensorSnapshot[] {
    const out: SensorSnapshot[] = [];
    for (const id of this.order) {
      const e = this.entries.get(id);
      if (e) out.push({ reading: e.reading, stats: statsOf(e) });
    }
    return out;
  }

  /** Each sensor's aggregate of the period so far; starts a new period for each. */
  takeAggregates(): SensorAggregate[] {
    const list: SensorAggregate[] = [];
    for (const id of this.order) {
      const e = this.entries.get(id);
      if (!e) continue;
      const a = e.analytics.takeAggregate();
      if (a) list.push({ id, name: e.reading.name, aggregate: a });
    }
    return list;
  }

  setThreshold(z: number): void {
    this.entries.forEach((e) => e.analytics.setThreshold(z));
  }

  setResolution(bits: number): void {
    this.entries.forEach((e) => e.analytics.setResolution(bits));
  }

  /**
   * A sensor's setting changed: its reading (new name, offset applied) replaces the last one,
   * and its analytics move by the offset change `delta` °C.
   */
  reconfigured(reading: SensorReading, delta: number): void {
    const e = this.entries.get(reading.id);
    if (e === undefined) return;
    e.reading = reading;
    if (delta !== 0) e.analytics.recalibrate(delta);
  }

  /**
   * The getStats view of each sensor: reading, window stats, and its alert state: `anomaly`
   * (true while an anomaly alert lasts) with `anomalyKind` and `anomalyDirection` ('up'/'down')
   * of that alert (null without one), and `alarm`, the side of its active limit alarm ('high',
   * 'low', null) from `alarmOf`. A fixed set of fields per sensor, at most maxSensors of them.
   */
  statsList(settings: SensorSettings, alarmOf: AlarmOf = () => undefined): Record<string, unknown>[] {
    const list: Record<string, unknown>[] = [];
    for (const id of this.order) {
      const e = this.entries.get(id);
      if (e) list.push(statsEntry(id, e, settings, alarmOf));
    }
    return list;
  }

  /** statsList's entries as JSON text, each made from its objects alone (json-text.ts says why). */
  statsItems(settings: SensorSettings, alarmOf: AlarmOf = () => undefined): string[] {
    const items: string[] = [];
    for (const id of this.order) {
      const e = this.entries.get(id);
      if (e) items.push(JSON.stringify(statsEntry(id, e, settings, alarmOf)));
    }
    return items;
  }

  /** The reported view of every known or configured sensor. */
  reported(settings: SensorSettings): ReportedSensor[] {
    const out: ReportedSensor[] = [];
    const seen: string[] = [];
    for (const r of this.readings()) {
      seen.push(r.id.toUpperCase());
      const sensor: ReportedSensor = { id: r.id, name: r.name, status: r.status, offset: settings.offset(r.id), resolution: r.resolution ?? null };
      if (r.refused !== undefined) sensor.refused = r.refused;
      out.push(sensor);
    }
    // Configured before the sensor was found: reported as missing so the setting is visible.
    for (const id of settings.ids()) {
      if (seen.indexOf(id) >= 0) continue;
      const s = settings.get(id);
      out.push({ id, name: s?.name ?? null, status: 'missing', offset: s?.offset ?? 0, resolution: null });
    }
    return out;
  }
}

/** The side of a sensor's active limit alarm, if any. */
type AlarmOf = (id: string) => 'high' | 'low' | undefined;

/** One sensor's getStats entry (see statsList). */
function statsEntry(id: string, e: SensorEntry, settings: SensorSettings, alarmOf: AlarmOf): Record<string, unknown> {
  const s = statsOf(e);
  return {
    id,
    name: e.reading.name,
    status: e.reading.status,
    value: e.reading.value === undefined ? null : e.reading.value,
    offset: settings.offset(id),
    count: s ? s.count : 0,
    mean: s ? s.mean : null,
    std: s ? s.std : null,
    min: s ? s.min : null,
    max: s ? s.max : null,
    z: s ? s.z : null,
    anomaly: s ? s.anomaly : false,
    anomalyKind: s && s.anomaly && s.alert ? s.alert.kind : null,
    anomalyDirection: s && s.anomaly && s.alert ? (s.alert.direction > 0 ? 'up' : 'down') : null,
    alarm: alarmOf(id) ?? null,
  };
}

/** The sensor's stats now, undefined before its first good sample. */
function statsOf(e: SensorEntry): SensorStats | undefined {
  const s = e.analytics.stats();
  return s.count > 0 ? s : undefined;
}

/** Whether what the twin reports of a sensor changed between two readings. */
function reportedChange(a: SensorReading, b: SensorReading): boolean {
  if (a.status !== b.status || a.resolution !== b.resolution) return true;
  return JSON.stringify(a.refused ?? null) !== JSON.stringify(b.refused ?? null);
}
