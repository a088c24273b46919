/**
 * The sensor registry: every sensor by ROM id with its status, last good value, calibration
 * and name. It turns scan results into appeared/vanished diffs and cycle readings into
 * statuses. A sensor that is missing or faulty has no current value: its last good value
 * stays available as lastGood (with its time) but is never presented as current.
 */
import type { ScanResult, SensorInfo, SensorReading } from './ds18b20';
import type { FaultReason } from './scratchpad';

export type SensorStatus = 'online' | 'missing' | 'faulty';

/** Faults that mean the sensor is not on the bus (rather than answering with bad data). */
const MISSING_REASONS: readonly FaultReason[] = Object.freeze(['no-response', 'no-presence'] as FaultReason[]);

export interface SensorCounts {
  readings: number;
  faults: number;
  /** Per fault reason. */
  byReason: { [reason: string]: number };
  /** Consecutive failed cycles (0 while online). */
  consecutiveFaults: number;
  powerOnResets: number;
}

export interface SensorEntry {
  id: string;
  model: string;
  name?: string;
  /** Added to every raw reading (°C). */
  offset: number;
  status: SensorStatus;
  /** Why the sensor is missing or faulty. */
  reason?: FaultReason | 'not-found';
  detail?: string;
  /** The current calibrated reading: present only while online. */
  celsius?: number;
  /** Time (host clock ms) of `celsius`. */
  at?: number;
  lastGood?: { celsius: number; at: number };
  parasite: boolean;
  counts: SensorCounts;
}

export interface ScanDiff {
  /** Never seen before. */
  added: string[];
  /** Known and missing before, present again. */
  returned: string[];
  /** Known and present before, not found now. */
  vanished: string[];
}

export interface RegistryEvents {
  onAdded?(id: string): void;
  onVanished?(id: string): void;
  onReturned?(id: string): void;
  onStatus?(id: string, status: SensorStatus, reason: string | undefined): void;
}

export class SensorRegistry {
  private readonly entries = new Map<string, SensorEntry>();

  constructor(private readonly events: RegistryEvents = {}) {}

  get(id: string): SensorEntry | undefined {
    return this.entries.get(id);
  }

  list(): SensorEntry[] {
    return Array.from(this.entries.values());
  }

  /** Sets a friendly name and/or calibration offset; creates the entry if it is not known yet. */
  configure(id: string, settings: { name?: string; offset?: number }): SensorEntry {
    const entry = this.entries.get(id) ?? this.create(id, 'unknown', false, 'missing');
    if (settings.name !== undefined) entry.name = settings.name;
    if (settings.offset !== undefined) {
      const delta = settings.offset - entry.offset;
      entry.offset = settings.offset;
      if (entry.celsius !== undefined) entry.celsius += delta;
      if (entry.lastGood) entry.lastGood.celsius += delta;
    }
    return entry;
  }

  /**
   * Applies a scan. A scan that failed part-way (`failure`) only adds sensors and never
   * declares anyone vanished, since its list may be incomplete.
   */
  applyScan(scan: ScanResult): ScanDiff {
    const diff: ScanDiff = { added: [], returned: [], vanished: [] };
    const seen = new Set<string>();
    for (const s of scan.sensors) {
      seen.add(s.id);
      const entry = this.entries.get(s.id);
      if (!entry) {
        this.create(s.id, s.model, s.parasite, 'online');
        diff.added.push(s.id);
        this.events.onAdded?.(s.id);
        continue;
      }
      entry.model = s.model;
      entry.parasite = s.parasite;
      if (entry.status === 'missing') {
        this.setStatus(entry, 'online', undefined, undefined);
        diff.returned.push(s.id);
        this.events.onReturned?.(s.id);
      }
    }
    if (scan.failure === undefined) {
      for (const entry of this.entries.values()) {
        if (seen.has(entry.id) || entry.status === 'missing') continue;
        this.setStatus(entry, 'missing', 'not-found', 'not found by the ROM search');
        diff.vanished.push(entry.id);
        this.events.onVanished?.(entry.id);
      }
    }
    return diff;
  }

  /** Applies one read cycle's results at host time `now`. */
  applyReadings(readings: readonly SensorReading[], now: number, sensors?: readonly SensorInfo[]): void {
    for (const r of readings) {
      let entry = this.entries.get(r.id);
      if (!entry) {
        const info = sensors?.find((s) => s.id === r.id);
        entry = this.create(r.id, info?.model ?? 'unknown', info?.parasite ?? false, 'online');
      }
      const c = entry.counts;
      if (r.powerOnReset) c.powerOnResets++;
      if (r.fault === undefined && r.celsius !== undefined) {
        c.readings++;
        c.consecutiveFaults = 0;
        const celsius = r.celsius + entry.offset;
        entry.celsius = celsius;
        entry.at = now;
        entry.lastGood = { celsius, at: now };
        this.setStatus(entry, 'online', undefined, undefined);
      } else {
        const reason = r.fault ?? 'no-response';
        c.faults++;
        c.consecutiveFaults++;
        c.byReason[reason] = (c.byReason[reason] ?? 0) + 1;
        const status: SensorStatus = MISSING_REASONS.indexOf(reason) >= 0 ? 'missing' : 'faulty';
        this.setStatus(entry, status, reason, r.detail);
      }
    }
  }

  private create(id: string, model: string, parasite: boolean, status: SensorStatus): SensorEntry {
    const entry: SensorEntry = {
      id,
      model,
      offset: 0,
      status,
      parasite,
      counts: { readings: 0, faults: 0, byReason: {}, consecutiveFaults: 0, powerOnResets: 0 },
    };
    if (status === 'missing') entry.reason = 'not-found';
    this.entries.set(id, entry);
    return entry;
  }

  private setStatus(entry: SensorEntry, status: SensorStatus, reason: SensorEntry['reason'], detail: string | undefined): void {
    const changed = entry.status !== status || entry.reason !== reason;
    entry.status = status;
    if (status !== 'online') {
      // Never let a stale value pose as current: it lives on only in lastGood.
      delete entry.celsius;
      delete entry.at;
    }
    if (reason === undefined) delete entry.reason;
    else entry.reason = reason;
    if (detail === undefined) delete entry.detail;
    else entry.detail = detail;
    if (changed) this.events.onStatus?.(entry.id, status, reason);
  }
}
