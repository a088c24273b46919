/**
 * Telemetry and the outbox pump: numbers each message (the persistent `seq`), queues it in the
 * outbox, and sends from the outbox whenever the hub is connected, at most `maxInFlight`
 * unacknowledged at once. Runs the telemetry and aggregation schedules.
 *
 * Flash wear (hosts/moddable/README.md, bench/budget.ts): a message built while the hub is
 * connected stays in RAM (the outbox's write-behind) and is stored only if it is still
 * unacknowledged `writeBehindMs` later (checked at every message) or when the connection is
 * lost or the device stops; while the hub is unreachable every message is stored at once. The
 * sequence number is stored in blocks of SEQ_BLOCK: the stored value is a number not used yet,
 * written again only when the block is used up and exactly at stop, so after a power cut `seq`
 * jumps forward (never back, never reused). An aggregation period's statistics ride on the next
 * telemetry message (`aggregate`) when telemetry is at least as frequent as aggregation, else
 * they go as a message of their own (TELEMETRY.md).
 */
import type { DeviceContext } from './context';
import type { OutboxOptions } from './outbox';
import { foldMessages, isFoldable } from './fold';
import { Outbox } from './outbox';
import type { HubConnection } from './ports';
import { Schedule } from './schedule';
import type { SensorTable } from './sensor-table';
import type { Envelope, Message } from './telemetry';
import { aggregateMessages, aggregateSection, telemetryMessages, type AggregateSection } from './telemetry';

/** Storage key of the next message sequence number. */
export const SEQ_KEY = 'seq';
/** Sequence numbers reserved per write of SEQ_KEY. */
export const SEQ_BLOCK = 100;
/** Default write-behind delay: a message still unacknowledged this long after it was built is stored. */
export const WRITE_BEHIND_MS = 30_000;
/** An in-flight place carrying no message. */
const FREE = -1;

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
  /** SEQ_KEY holds this: every number below it may have been used. */
  private seqReserved: number;
  private periodStartEpoch: number | null;
  private readonly writeBehindMs: number;
  /** An ended aggregation period waiting for the next telemetry message. */
  private held: AggregateSection | undefined;
  /**
   * In-flight places, maxInFlight of them: the sequence number of the message each carries, or
   * FREE, and each place's completion callback, made once (no closure per message).
   */
  private readonly placeSeq: number[] = [];
  private readonly placeDone: ((error?: Error) => void)[] = [];
  /** A send was refused since pump() began. */
  private refused = false;
  /** pump() is running (a completion during it needs no pump of its own). */
  private pumping = false;

  constructor(ctx: DeviceContext, hub: HubConnection, table: SensorTable, options: { outbox?: OutboxOptions; maxInFlight?: number; writeBehindMs?: number; changed: () => void }) {
    const { storage, clock, timers } = ctx.host;
    this.ctx = ctx;
    this.hub = hub;
    this.table = table;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
    for (let place = 0; place < this.maxInFlight; place++) {
      this.placeSeq.push(FREE);
      this.placeDone.push((error) => this.sent(place, error));
    }
    this.changed = options.changed;
    // While the hub is unreachable a full outbox folds telemetry into aggregates (./fold) rather than dropping it.
    this.outbox = new Outbox(storage, clock, { foldable: isFoldable, fold: foldMessages, onStoreError: (m) => ctx.error('outbox', m), ...options.outbox });
    const seq = Number(storage.get(SEQ_KEY) ?? '0');
    this.seq = Number.isInteger(seq) && seq >= 0 ? seq : 0;
    this.seqReserved = this.seq;
    this.writeBehindMs = options.writeBehindMs ?? WRITE_BEHIND_MS;
    this.periodStartEpoch = clock.epochMs() ?? null;
    const active = (): boolean => !ctx.stopped;
    const config = ctx.config;
    this.telemetry = new Schedule(timers, clock, () => config.current.telemetryIntervalMs, () => this.sendTelemetry(), active);
    this.aggregation = new Schedule(timers, clock, () => config.current.aggregatePeriodMs, () => this.sendAggregate(), active);
  }

  /** envelope(), made once: the message builders take one per message. */
  private readonly nextEnvelope = (): Envelope => this.envelope();

  /** The next message header; advances and stores the sequence number. */
  envelope(): Envelope {
    const { clock, storage } = this.ctx.host;
    const env: Envelope = { deviceId: this.ctx.deviceId, seq: this.seq, epochMs: clock.epochMs(), uptimeMs: this.ctx.uptime() };
    this.seq++;
    if (this.seq > this.seqReserved) {
      this.seqReserved = this.seq - 1 + SEQ_BLOCK;
      storage.set(SEQ_KEY, String(this.seqReserved));
    }
    return env;
  }

  /** Queues a message: stored at once while the hub is unreachable, else written behind. */
  enqueue(message: Message): void {
    const connected = this.ctx.connected && !this.ctx.stopped;
    this.outbox.push(message.body, message.properties, !connected);
    this.outbox.persistOlderThan(this.ctx.host.clock.now() - this.writeBehindMs);
    this.pump();
  }

  /** The hub connection was lost: what waits only in RAM is stored now. */
  connectionLost(): void {
    this.outbox.persist();
  }

  /** Sends what the outbox holds while the hub is connected and the in-flight window has room. */
  pump(): void {
    // A port that acknowledges during the call (a test's fake hub) would bring us back here for
    // every message: the loop below takes the freed place instead (no recursion over the queue:
    // the ESP32 stack is 896 slots).
    if (this.pumping || this.ctx.stopped || !this.ctx.connected) return;
    this.pumping = true;
    this.outbox.expire();
    const places = this.placeSeq;
    this.refused = false;
    // A port that refuses during the call would hand the same message back at once: stop then.
    while (!this.refused && this.ctx.connected && !this.ctx.stopped) {
      const place = places.indexOf(FREE);
      if (place < 0) break;
      const m = this.outbox.takeNext();
      if (m === undefined) break;
      places[place] = m.seq;
      this.hub.sendTelemetry(m.body, m.properties, this.placeDone[place]);
    }
    this.pumping = false;
    this.changed();
  }

  /** The port's answer for the message in flight at `place`: acknowledged, or not in flight any more. */
  private sent(place: number, error: Error | undefined): void {
    const seq = this.placeSeq[place];
    if (seq === FREE) return; // the port calls back once per send; a second call finds nothing
    this.placeSeq[place] = FREE;
    if (error === undefined) this.outbox.acknowledge(seq);
    else {
      this.refused = true;
      this.outbox.release(seq);
      this.ctx.host.log.write('warn', 'outbox', `message ${seq} not acknowledged: ${error.message}`);
    }
    if (this.ctx.stopped) return;
    this.changed();
    // A failure waits for the next trigger (telemetry tick, reconnect) rather than spinning.
    if (error === undefined) this.pump();
  }

  /** Telemetry, carrying the aggregation period that ended since the last one, if any. */
  sendTelemetry(): void {
    const aggregate = this.held;
    this.held = undefined;
    // A full bus is sent in parts that each fit one NVS value (message-parts.ts).
    for (const m of telemetryMessages(this.nextEnvelope, this.table, this.outbox.counts, aggregate)) this.enqueue(m);
  }

  /**
   * Ends the aggregation period (nothing when no sensor had a sample). Its statistics wait for
   * the next telemetry message when telemetry is at least as frequent, else go alone; one still
   * waiting when the next period ends goes alone first.
   */
  sendAggregate(): void {
    const list = this.table.takeAggregates();
    const start = this.periodStartEpoch;
    this.periodStartEpoch = this.ctx.host.clock.epochMs() ?? null;
    if (list.length === 0) return;
    this.flushHeld();
    const config = this.ctx.config.current;
    const section = aggregateSection(start, config.aggregatePeriodMs, list);
    if (config.telemetryIntervalMs <= config.aggregatePeriodMs) this.held = section;
    else this.enqueueAggregate(section);
  }

  private flushHeld(): void {
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) this.enqueueAggregate(held);
  }

  private enqueueAggregate(section: AggregateSection): void {
    for (const m of aggregateMessages(this.nextEnvelope, section)) this.enqueue(m);
  }

  start(): void {
    // Aggregation first: when both fall due at once, the period's aggregate is ready for the telemetry.
    this.aggregation.arm(true);
    this.telemetry.arm(true);
  }

  /** Stops the schedules; an aggregate not sent yet goes alone, everything is stored, `seq` exactly. */
  stop(): void {
    this.telemetry.cancel();
    this.aggregation.cancel();
    this.flushHeld();
    this.outbox.persist();
    if (this.seqReserved !== this.seq) {
      this.seqReserved = this.seq;
      this.ctx.host.storage.set(SEQ_KEY, String(this.seq));
    }
  }
}
