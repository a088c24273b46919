/**
 * The sampling schedule: reads every sensor once per samplingIntervalMs, feeds the readings to
 * the sensor table (analytics, anomaly alerts), searches the bus again, and tells the display,
 * the observer and the twin what changed.
 *
 * Bus searches: every searchIntervalMs (hot-plugged sensors appear, vanished ones go missing),
 * every rescanIntervalMs while no sensor is online. A search runs right after a round, when the
 * bus is idle, and only if it fits before the next round is due (or is a whole interval overdue,
 * when rounds leave no room at all: then one round starts late by the search): it costs about
 * SEARCH_MS_PER_DEVICE of bus time per device (reset + F0h + 64 x 3 slots = 0.96 + 200 x 0.07 ms,
 * measured in test/device/sensors-field.suite.ts), during which the host does nothing else.
 */
import type { DeviceContext } from './context';
import type { SensorReading, SensorSource, SensorStats } from './ports';
import { Schedule } from './schedule';
import type { SensorTable } from './sensor-table';

/** Bus time of one ROM search pass, per device on the bus, ms (rounded up from 14.96). */
export const SEARCH_MS_PER_DEVICE = 15;

/** How often each kind of bus search runs. */
export interface SearchIntervals {
  /** While at least one sensor is online. */
  searchIntervalMs: number;
  /** While none is. */
  rescanIntervalMs: number;
}

/** One sampling round as seen by an observer. */
export interface SampleEvent {
  /** Monotonic ms and wall-clock ms (undefined without real time). */
  timeMs: number;
  epochMs: number | undefined;
  sensors: { reading: SensorReading; stats: SensorStats | undefined }[];
  /** Limit alarms by sensor id (added by the application): active side and limits. */
  alarms?: Record<string, { active: 'high' | 'low' | null; high: number | null; low: number | null }>;
}

/** What a sampling round reports to the rest of the device. */
export interface SamplingOutputs {
  /** An anomaly started, changed kind or ended on a sensor (see SensorTable's TransitionHandler). */
  onTransition(reading: SensorReading, stats: SensorStats, transition: 'start' | 'update' | 'end'): void;
  /** The round is in the table: update the display. */
  onRound(): void;
  /** A sensor appeared, vanished or changed status (reported to the twin when connected). */
  onStatusChanged(): void;
  /** Observer of every round (the simulator's charts); must not throw. */
  onSample?: (sample: SampleEvent) => void;
}

export class SamplingLoop {
  readonly schedule: Schedule;
  private readonly ctx: DeviceContext;
  private readonly sensors: SensorSource;
  private readonly table: SensorTable;
  private readonly out: SamplingOutputs;
  private readonly intervals: SearchIntervals;
  /** A read is under way (conversion pending). */
  private reading = false;
  private lastRescan = -Infinity;
  /** Sensors left untracked in the last round (reported when it changes). */
  private untracked = 0;

  constructor(ctx: DeviceContext, sensors: SensorSource, table: SensorTable, out: SamplingOutputs, intervals: SearchIntervals) {
    this.ctx = ctx;
    this.sensors = sensors;
    this.table = table;
    this.out = out;
    this.intervals = intervals;
    const config = ctx.config;
    this.schedule = new Schedule(ctx.host.timers, ctx.host.clock, () => config.current.samplingIntervalMs, () => this.sampleNow(), () => !ctx.stopped);
  }

  /** Searches the bus, then starts the schedule with a first round at once. */
  start(): void {
    this.sensors.scan();
    this.lastRescan = this.ctx.host.clock.now();
    this.schedule.arm(true);
  }

  /** Takes a sample now unless one is under way. */
  sampleNow(): void {
    if (this.ctx.stopped || this.reading) return;
    this.reading = true;
    this.sensors.read((readings) => this.onReadings(readings));
  }

  private onReadings(readings: SensorReading[]): void {
    this.reading = false;
    if (this.ctx.stopped) return;
    const clock = this.ctx.host.clock;
    const now = clock.now();
    const round = this.table.update(readings, now, this.out.onTransition);
    if (round.untracked > 0 && round.untracked !== this.untracked) {
      this.ctx.error('sensors', `${round.untracked} sensor(s) on the bus not tracked: maxSensors is ${this.table.maxSensors} (raise it with the heap; hosts/moddable/README.md)`);
    }
    this.untracked = round.untracked;
    const interval = round.online === 0 ? this.intervals.rescanIntervalMs : this.intervals.searchIntervalMs;
    // One more device than known: room for the one being looked for.
    const cost = SEARCH_MS_PER_DEVICE * (readings.length + 1);
    // Overdue by a whole interval (rounds so close that none leaves room): search anyway, once.
    const due = now - this.lastRescan;
    if (due >= interval && (round.online === 0 || this.schedule.msUntilDue() >= cost || due >= 2 * interval)) {
      this.lastRescan = now;
      this.sensors.scan();
    }
    this.out.onRound();
    if (this.out.onSample) this.out.onSample({ timeMs: now, epochMs: clock.epochMs(), sensors: this.table.snapshots() });
    if (round.statusChanged) this.out.onStatusChanged();
  }

  stop(): void {
    this.schedule.cancel();
  }
}
