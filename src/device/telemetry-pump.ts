/**
 * Telemetry and the outbox pump: numbers each message (the persistent `seq`), queues it in the
 * write-ahead outbox, and sends from the outbox whenever the hub is connected, at most
 * `maxInFlight` unacknowledged at once. Runs the telemetry and aggregation schedules.
 */
import type { DeviceContext } from './context';
import type { OutboxOptions } from './outbox';
import { Outbox } from './outbox';
import type { HubConnection } from './ports';
import { Schedule } from './schedule';
import type { SensorTable } from './sensor-table';
import type { Envelope, Message } from './telemetry';
import { aggregateMessage, telemetryMessage } from './telemetry';

/** Storage key of the next message sequence number. */
export const SEQ_KEY = 'seq';

export class TelemetryPump {
  readonly outbox: Outbox;
  readonly telemetry: Schedule;
  readonly aggregation: Schedule;
  private readonly ctx: DeviceContext;
  private readonly hub: HubConnection;
  private readonly table: SensorTable;
  private readonly maxInFlight: number;
  /** Called after the outbox changed (the display shows its length). */
  private readonly changed: () => void;
  private seq: number;
  private periodStartEpoch: number | null;

  constructor(ctx: DeviceContext, hub: HubConnection, table: SensorTable, options: { outbox?: OutboxOptions; maxInFlight?: number; changed: () => void }) {
    const { storage, clock, timers } = ctx.host;
    this.ctx = ctx;
    this.hub = hub;
    this.table = table;
    this.maxInFlight = options.maxInFlight ?? 4;
    this.changed = options.changed;
    this.outbox = new Outbox(storage, clock, options.outbox);
    const seq = Number(storage.get(SEQ_KEY) ?? '0');
    this.seq = Number.isInteger(seq) && seq >= 0 ? seq : 0;
    this.periodStartEpoch = clock.epochMs() ?? null;
    const active = (): boolean => !ctx.stopped;
    const config = ctx.config;
    this.telemetry = new Schedule(timers, clock, () => config.current.telemetryIntervalMs, () => this.sendTelemetry(), active);
    this.aggregation = new Schedule(timers, clock, () => config.current.aggregatePeriodMs, () => this.sendAggregate(), active);
  }

  /** The next message header; advances and stores the sequence number. */
  envelope(): Envelope {
    const { clock, storage } = this.ctx.host;
    const env: Envelope = { deviceId: this.ctx.deviceId, seq: this.seq, epochMs: clock.epochMs(), uptimeMs: this.ctx.uptime() };
    this.seq++;
    storage.set(SEQ_KEY, String(this.seq));
    return env;
  }

  enqueue(message: Message): void {
    this.outbox.push(message.body, message.properties);
    this.pump();
  }

  /** Sends what the outbox holds while the hub is connected and the in-flight window has room. */
  pump(): void {
    if (this.ctx.stopped || !this.ctx.connected) return;
    this.outbox.expire();
    while (this.outbox.inFlight < this.maxInFlight) {
      const m = this.outbox.takeNext();
      if (m === undefined) break;
      this.hub.sendTelemetry(m.body, m.properties, (error) => {
        // The port calls back once per send: acknowledged, or not in flight any more.
        if (error === undefined) this.outbox.acknowledge(m.seq);
        else {
          this.outbox.release(m.seq);
          this.ctx.host.log.write('warn', 'outbox', `message ${m.seq} not acknowledged: ${error}`);
        }
        if (this.ctx.stopped) return;
        this.changed();
        // A failure waits for the next trigger (telemetry tick, reconnect) rather than spinning.
        if (error === undefined) this.pump();
      });
    }
    this.changed();
  }

  sendTelemetry(): void {
    this.enqueue(telemetryMessage(this.envelope(), this.table.snapshots(), this.outbox.counts));
  }

  /** Sends every sensor's aggregate of the period that ends now (nothing when none has one). */
  sendAggregate(): void {
    const list = this.table.takeAggregates();
    const start = this.periodStartEpoch;
    this.periodStartEpoch = this.ctx.host.clock.epochMs() ?? null;
    if (list.length > 0) this.enqueue(aggregateMessage(this.envelope(), start, this.ctx.config.current.aggregatePeriodMs, list));
  }

  start(): void {
    this.telemetry.arm(true);
    this.aggregation.arm(true);
  }

  stop(): void {
    this.telemetry.cancel();
    this.aggregation.cancel();
  }
}
