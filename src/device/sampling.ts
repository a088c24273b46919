/**
 * The sampling schedule: reads every sensor once per samplingIntervalMs, feeds the readings to
 * the sensor table (analytics, anomaly alerts), searches the bus again while no sensor is
 * online, and tells the display, the observer and the twin what changed.
 */
import type { DeviceContext } from './context';
import type { SensorReading, SensorSource, SensorStats } from './ports';
import { Schedule } from './schedule';
import type { SensorTable } from './sensor-table';

/** One sampling round as seen by an observer. */
export interface SampleEvent {
  /** Monotonic ms and wall-clock ms (undefined without real time). */
  timeMs: number;
  epochMs: number | undefined;
  sensors: { reading: SensorReading; stats: SensorStats | undefined }[];
}

/** What a sampling round reports to the rest of the device. */
export interface SamplingOutputs {
  /** An anomaly started or ended on a sensor. */
  onTransition(reading: SensorReading, stats: SensorStats, transition: 'start' | 'end'): void;
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
  private readonly rescanIntervalMs: number;
  /** A read is under way (conversion pending). */
  private reading = false;
  private lastRescan = -Infinity;

  /** `rescanIntervalMs`: how often to search the bus again while no sensor is online. */
  constructor(ctx: DeviceContext, sensors: SensorSource, table: SensorTable, out: SamplingOutputs, rescanIntervalMs: number) {
    this.ctx = ctx;
    this.sensors = sensors;
    this.table = table;
    this.out = out;
    this.rescanIntervalMs = rescanIntervalMs;
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
    if (round.online === 0 && now - this.lastRescan >= this.rescanIntervalMs) {
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
