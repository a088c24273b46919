/**
 * One simulated device-day, platform-neutral so the same code runs in Node (bench/budget.ts:
 * messages, bytes, storage writes) and inside XS (bench/xs/budget-entry.ts: computrons, slots).
 *
 * The device application (src/device/app: sampling, analytics, JSON, outbox) runs with the real
 * IoT Hub client and MQTT client (src/iothub, src/mqtt) on a simulated clock; the hub is
 * test/fault/sim-broker (IoT Hub's CONNACK, PUBACK, SUBACK, PINGRESP, twin GET/PATCH, SAS expiry)
 * behind the Host's Network, with the bytes counted each way at the connection. Sensors are a
 * SensorSource giving slowly varying readings (the 1-Wire driver's own cost is not in the
 * figures: on the device it is bus time, measured by bench/sensors.ts). HMAC for the SAS token
 * is test/iothub/sha256 (plain TS: on the device it is native, ~once an hour).
 *
 * Time advances one timer event at a time (`next()`); the caller lets promise reactions run
 * after each (Node: a macrotask turn; XS: the end of the command), as a real event loop does, so
 * both engines see the same sequence of events.
 */
import { windowAnalytics } from '../../src/device/adapters/analytics';
import { HubClientConnection } from '../../src/device/adapters/hub';
import { startDevice, type Device } from '../../src/device/app';
import type { SensorReading, SensorSource } from '../../src/device/ports';
import type { Connection, ConnectionHandlers, ConnectOptions, Network, TimerId, Timers } from '../../src/platform';
import { FakeHost, MemoryStorage } from '../../test/device/fake-host';
import { SimBroker } from '../../test/fault/sim-broker';
import { testCrypto } from '../../test/iothub/sha256';
import type { StorageOp } from './nvs-model';

export interface Profile {
  name: string;
  samplingIntervalMs: number;
  telemetryIntervalMs: number;
  aggregatePeriodMs: number;
  analyticsWindow: number;
  outboxMaxCount: number;
  outboxMaxBytes: number;
  maxIncomingPacketSize?: number;
  /** HubClientOptions.renewalWaitMs as the profile's host sets it. */
  renewalWaitMs?: number;
}

/** hosts/moddable/config.ts and manifest.json "config"; aggregatePeriodMs is src/device/config's default. */
export const FIRMWARE: Profile = {
  name: 'firmware',
  samplingIntervalMs: 10_000,
  telemetryIntervalMs: 60_000,
  aggregatePeriodMs: 60_000,
  analyticsWindow: 60,
  outboxMaxCount: 50,
  outboxMaxBytes: 8192,
  maxIncomingPacketSize: 8192,
  renewalWaitMs: 10_000,
};

/** simulator/main.ts: sampling 1 s, telemetry 5 s, window 60, the outbox's own defaults. */
export const DESKTOP: Profile = {
  name: 'desktop',
  samplingIntervalMs: 1000,
  telemetryIntervalMs: 5000,
  aggregatePeriodMs: 60_000,
  analyticsWindow: 60,
  outboxMaxCount: 200,
  outboxMaxBytes: 65_536,
};

export interface Scenario {
  profile: 'firmware' | 'desktop';
  sensors: number;
  /** Hub unreachable for this long, starting at 10:00 of the day; 0: online all day. */
  outageMs: number;
}

export const DAY_MS = 86_400_000;
export const OUTAGE_START_MS = 10 * 3_600_000;
const HUB = 'budget-hub.azure-devices.net';
const DEVICE = 'thermo-01';
const KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

export interface DayCounts {
  simulatedMs: number;
  hubMessages: number;
  hubBillingUnits: number;
  telemetryBytes: number;
  mqttBytesUp: number;
  mqttBytesDown: number;
  storageWrites: number;
  storageDeletes: number;
  storageBytesWritten: number;
  connects: number;
  pendingAtEnd: number;
  overflow: number;
  /** Hub messages by their `type` property (telemetry, aggregate, alert). */
  messageTypes: Record<string, number>;
}

class CountingStorage extends MemoryStorage {
  readonly ops: StorageOp[] = [];
  deletes = 0;
  bytesWritten = 0;
  record = true;
  override set(key: string, value: string): void {
    super.set(key, value);
    const bytes = utf8Bytes(value);
    this.bytesWritten += bytes;
    if (this.record) this.ops.push({ op: 'set', key, bytes });
  }
  override delete(key: string): void {
    if (this.map.has(key)) {
      this.deletes++;
      if (this.record) this.ops.push({ op: 'delete', key });
    }
    super.delete(key);
  }
}

function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
  }
  return n;
}

/** N sensors whose temperatures wander slowly (a few tenths of a degree over hours), deterministic. */
class WanderingSensors implements SensorSource {
  private readonly readings: SensorReading[] = [];
  private t = 0;
  constructor(count: number, private readonly clock: { now(): number }) {
    for (let k = 0; k < count; k++) {
      const id = `28ff${(0x4a1b2c3d + k).toString(16)}0${k.toString(16)}`.slice(0, 14) + '01';
      this.readings.push({ id, name: `T${k + 1}`, value: 20 + k, status: 'online' });
    }
  }
  scan(): void {}
  setResolution(): void {}
  read(onReadings: (readings: SensorReading[]) => void): void {
    this.t = this.clock.now() / 1000;
    for (let k = 0; k < this.readings.length; k++) {
      const raw = 20 + k + 0.5 * Math.sin(this.t / 3600 + k) + 0.0625 * ((Math.floor(this.t / 7) + k) % 3);
      this.readings[k] = { ...this.readings[k], value: Math.round(raw * 16) / 16 };
    }
    onReadings(this.readings.map((r) => ({ ...r })));
  }
}

/** Wraps a Network to count the bytes of every connection, each way. */
class CountingNetwork implements Network {
  up = 0;
  down = 0;
  constructor(private readonly inner: Network) {}
  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    const counted: ConnectionHandlers = {
      onConnect: () => handlers.onConnect(),
      onData: (data) => {
        this.down += data.length;
        handlers.onData(data);
      },
      onWritable: handlers.onWritable ? () => handlers.onWritable?.() : undefined,
      onClose: (error) => handlers.onClose(error),
    };
    const c = this.inner.connect(options, counted);
    return {
      write: (data) => {
        this.up += data.length;
        return c.write(data);
      },
      close: () => c.close(),
    };
  }
}

/** One-shot timers on the simulated clock, fired one event at a time (time order, then set order). */
class EventTimers implements Timers {
  private pending: { id: number; at: number; callback: () => void }[] = [];
  private nextId = 1;
  events = 0;
  constructor(private readonly clock: { ms: number }) {}
  set(callback: () => void, delayMs: number): TimerId {
    const id = this.nextId++;
    this.pending.push({ id, at: this.clock.ms + Math.max(0, delayMs), callback });
    return id;
  }
  clear(id: TimerId): void {
    const i = this.pending.findIndex((t) => t.id === id);
    if (i >= 0) this.pending.splice(i, 1);
  }
  /** Fires the next timer due at or before `end` and returns true; else moves the clock to `end`. */
  fireNext(end: number): boolean {
    let best = -1;
    for (let i = 0; i < this.pending.length; i++) {
      const t = this.pending[i];
      if (t.at <= end && (best < 0 || t.at < this.pending[best].at || (t.at === this.pending[best].at && t.id < this.pending[best].id))) best = i;
    }
    if (best < 0) {
      this.clock.ms = end;
      return false;
    }
    const t = this.pending[best];
    this.pending.splice(best, 1);
    this.clock.ms = Math.max(this.clock.ms, t.at);
    this.events++;
    t.callback();
    return true;
  }
}

export class DeviceDay {
  readonly scenario: Scenario;
  readonly profile: Profile;
  readonly host: FakeHost;
  readonly storage: CountingStorage;
  readonly broker: SimBroker;
  readonly network: CountingNetwork;
  readonly device: Device;
  readonly timers: EventTimers;
  private hubMessages = 0;
  private types: Record<string, number> = {};
  private billingUnits = 0;
  private telemetryBytes = 0;
  private start = 0;

  constructor(scenario: Scenario) {
    this.scenario = scenario;
    this.profile = scenario.profile === 'firmware' ? FIRMWARE : DESKTOP;
    const p = this.profile;
    const host = new FakeHost();
    host.clock.epochBase = Date.UTC(2026, 0, 1); // SAS needs a time the hub client believes
    this.timers = new EventTimers(host.clock);
    (host as unknown as { timers: Timers }).timers = this.timers;
    this.host = host;
    this.storage = new CountingStorage();
    (host as unknown as { storage: MemoryStorage }).storage = this.storage;
    this.broker = new SimBroker(host.clock, host.timers, {
      latencyMs: 20,
      expiresAt: (connect) => {
        const password = connect.password ? String.fromCharCode(...connect.password) : '';
        const m = /[?&]se=(\d+)/.exec(password);
        return m ? Number(m[1]) * 1000 : undefined;
      },
      onPublish: (packet) => {
        if (!packet.topic.startsWith(`devices/${DEVICE}/messages/events/`)) return;
        this.hubMessages++;
        const type = /[?&]type=([a-z]+)/.exec(packet.topic)?.[1] ?? 'other';
        this.types[type] = (this.types[type] ?? 0) + 1;
        // IoT Hub meters a message's body and properties (here: the topic's property bag) in 4 KB units.
        const size = packet.payload.length + packet.topic.length - `devices/${DEVICE}/messages/events/`.length;
        this.billingUnits += Math.max(1, Math.ceil(size / 4096));
        this.telemetryBytes += packet.payload.length;
      },
    });
    this.network = new CountingNetwork(this.broker);
    const hubHost = { clock: host.clock, timers: host.timers, network: this.network, random: host.random, crypto: testCrypto() };
    const hub = new HubClientConnection(
      {
        connectionString: `HostName=${HUB};DeviceId=${DEVICE};SharedAccessKey=${KEY}`,
        backoff: { minMs: 1000, maxMs: 60_000 },
        maxIncomingPacketSize: p.maxIncomingPacketSize,
        renewalWaitMs: p.renewalWaitMs,
      },
      hubHost,
    );
    this.device = startDevice(
      host,
      { sensors: new WanderingSensors(scenario.sensors, host.clock), hub, analytics: windowAnalytics({ window: p.analyticsWindow }) },
      {
        deviceId: DEVICE,
        config: { samplingIntervalMs: p.samplingIntervalMs, telemetryIntervalMs: p.telemetryIntervalMs, aggregatePeriodMs: p.aggregatePeriodMs },
        outbox: { maxCount: p.outboxMaxCount, maxBytes: p.outboxMaxBytes },
      },
    );
  }

  /** Everything from now on is counted (call after the warm-up: first connect, twin, first samples). */
  resetCounts(): void {
    this.hubMessages = 0;
    this.types = {};
    this.billingUnits = 0;
    this.telemetryBytes = 0;
    this.network.up = 0;
    this.network.down = 0;
    this.storage.writes = 0;
    this.storage.deletes = 0;
    this.storage.bytesWritten = 0;
    this.storage.ops.length = 0;
    this.broker.stats.accepted = 0;
    this.start = this.host.clock.ms;
  }

  /**
   * Runs the next timer event before `endMs` (counted time; the outage applied at its hour) and
   * returns true, or moves the clock to endMs and returns false.
   */
  next(endMs: number): boolean {
    const t = this.host.clock.ms - this.start;
    const outage = this.scenario.outageMs > 0 && t >= OUTAGE_START_MS && t < OUTAGE_START_MS + this.scenario.outageMs;
    if (outage && !this.broker.down) {
      this.broker.down = true;
      this.broker.drop();
    } else if (!outage && this.broker.down) {
      this.broker.down = false;
    }
    // Stop at the outage's edges so it starts and ends on time.
    let end = this.start + endMs;
    if (this.scenario.outageMs > 0) {
      for (const edge of [OUTAGE_START_MS, OUTAGE_START_MS + this.scenario.outageMs]) if (t < edge && this.start + edge < end) end = this.start + edge;
    }
    return this.timers.fireNext(end) || this.host.clock.ms < this.start + endMs;
  }

  /** Simulated time counted so far. */
  get elapsedMs(): number {
    return this.host.clock.ms - this.start;
  }

  counts(): DayCounts {
    const c = this.device.outboxCounts();
    return {
      simulatedMs: this.elapsedMs,
      hubMessages: this.hubMessages,
      hubBillingUnits: this.billingUnits,
      telemetryBytes: this.telemetryBytes,
      mqttBytesUp: this.network.up,
      mqttBytesDown: this.network.down,
      storageWrites: this.storage.writes,
      storageDeletes: this.storage.deletes,
      storageBytesWritten: this.storage.bytesWritten,
      connects: this.broker.stats.accepted,
      pendingAtEnd: c.pending,
      overflow: c.overflow,
      messageTypes: { ...this.types },
    };
  }

  /** The storage operations counted so far, in order (for the NVS model). */
  storageOps(): StorageOp[] {
    return this.storage.ops;
  }
}

/** Warm-up before counting: connected, twin read, first telemetry out. */
export const WARMUP_MS = 120_000;
