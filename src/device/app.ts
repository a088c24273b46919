/**
 * The device application: sensors -> analytics -> telemetry (through the outbox) -> hub;
 * C2D -> display; twin and methods -> live configuration.
 *
 * Everything runs on the host's timers and clock, so tests drive it in simulated time.
 * Three schedules, each re-armed from its own previous deadline so they do not drift:
 * sampling, telemetry and aggregation. The outbox is pumped whenever something is queued,
 * an acknowledgement arrives or the hub connects.
 */
import type { Clock, Display, DisplayModel, Log, Storage, TimerId, Timers } from '../platform';
import type { ApplyResult, DeviceConfig } from './config';
import { LiveConfig } from './config';
import { handleC2D } from './c2d';
import type { DeviceControl } from './control';
import { DisplayModelBuilder } from './display-model';
import { handleMethod } from './methods';
import type { OutboxCounts, OutboxOptions } from './outbox';
import { Outbox } from './outbox';
import type { AnalyticsFactory, HubConnection, HubState, SensorAnalytics, SensorReading, SensorSource, SensorStats } from './ports';
import type { Envelope, Message, SensorAggregate, SensorSnapshot } from './telemetry';
import { aggregateMessage, alertMessage, telemetryMessage } from './telemetry';
import { SensorSettings } from './sensor-settings';
import type { LastError, ReportedSensor } from './twin';
import { TwinSync } from './twin';

export interface DeviceHost {
  clock: Clock;
  timers: Timers;
  storage: Storage;
  display: Display;
  log: Log;
  restart(): void;
}

export interface DeviceDeps {
  sensors: SensorSource;
  hub: HubConnection;
  analytics: AnalyticsFactory;
}

export interface DeviceOptions {
  deviceId: string;
  firmwareVersion?: string;
  /** Initial configuration (a stored configuration from an earlier run overrides it). */
  config?: Partial<DeviceConfig>;
  outbox?: OutboxOptions;
  /** Messages sent but not yet acknowledged at once. Default 4. */
  maxInFlight?: number;
  /** How often to search the bus again while no sensor is online. Default 10 s. */
  rescanIntervalMs?: number;
  /** Observer of every sampling round (the simulator's charts); must not throw. */
  onSample?: (sample: SampleEvent) => void;
}

/** One sampling round as seen by an observer. */
export interface SampleEvent {
  /** Monotonic ms and wall-clock ms (undefined without real time). */
  timeMs: number;
  epochMs: number | undefined;
  sensors: { reading: SensorReading; stats: SensorStats | undefined }[];
}

export interface Device {
  readonly config: Readonly<DeviceConfig>;
  /** The display model as last rendered. */
  display(): DisplayModel;
  outboxCounts(): OutboxCounts;
  /** Same payload as the getStats method. */
  stats(): Record<string, unknown>;
  /** Applies configuration as a local operator would (validated). */
  configure(patch: Record<string, unknown>): ApplyResult;
  /** Takes the next sample now (tests and the dashboard). */
  sampleNow(): void;
  stop(): void;
}

const CONFIG_KEY = 'cfg';
const SEQ_KEY = 'seq';
/** Per-sensor names and offsets (SensorSettings.serialize: at most 8 entries, well under 2 KB). */
const SENSORS_KEY = 'sensors';

interface SensorEntry {
  reading: SensorReading;
  analytics: SensorAnalytics;
  stats: SensorStats | undefined;
}

export function startDevice(host: DeviceHost, deps: DeviceDeps, options: DeviceOptions): Device {
  const { clock, timers, storage, log } = host;
  const { sensors, hub, analytics } = deps;
  const deviceId = options.deviceId;
  const firmware = options.firmwareVersion ?? '0.0.0';
  const maxInFlight = options.maxInFlight ?? 4;
  const rescanIntervalMs = options.rescanIntervalMs ?? 10000;
  const bootMs = clock.now();

  const config = new LiveConfig(options.config);
  config.restore(storage.get(CONFIG_KEY));
  const sensorSettings = new SensorSettings();
  sensorSettings.restore(storage.get(SENSORS_KEY));
  const outbox = new Outbox(storage, clock, options.outbox);
  const builder = new DisplayModelBuilder(deviceId);
  const entries = new Map<string, SensorEntry>();
  let order: string[] = [];
  let seq = Number(storage.get(SEQ_KEY) ?? '0');
  if (!Number.isInteger(seq) || seq < 0) seq = 0;
  let hubState: HubState = { network: 'down', hub: 'disconnected' };
  let lastError: LastError | undefined;
  let stopped = false;
  let reading = false;
  let lastRescan = -Infinity;
  let lastModel: DisplayModel = builder.build();
  let identifyTimer: TimerId | undefined;
  let rebootTimer: TimerId | undefined;
  let periodStartEpoch: number | null = clock.epochMs() ?? null;

  const uptime = (): number => clock.now() - bootMs;

  // --- display ------------------------------------------------------------------------------

  function render(): void {
    builder.setHub(hubState);
    builder.setOutbox(outbox.length);
    lastModel = builder.build();
    host.display.render(lastModel);
  }

  // --- outbox and sending -------------------------------------------------------------------

  function envelope(): Envelope {
    const env: Envelope = { deviceId, seq, epochMs: clock.epochMs(), uptimeMs: uptime() };
    seq++;
    storage.set(SEQ_KEY, String(seq));
    return env;
  }

  function enqueue(message: Message): void {
    outbox.push(message.body, message.properties);
    pump();
  }

  function pump(): void {
    if (stopped || hubState.hub !== 'connected') return;
    outbox.expire();
    while (outbox.inFlight < maxInFlight) {
      const m = outbox.takeNext();
      if (m === undefined) break;
      hub.sendTelemetry(m.body, m.properties, (error) => {
        // The port calls back once per send: acknowledged, or not in flight any more.
        if (error === undefined) outbox.acknowledge(m.seq);
        else {
          outbox.release(m.seq);
          log.write('warn', 'outbox', `message ${m.seq} not acknowledged: ${error}`);
        }
        if (stopped) return;
        render();
        // A failure waits for the next trigger (telemetry tick, reconnect) rather than spinning.
        if (error === undefined) pump();
      });
    }
    render();
  }

  // --- sampling -----------------------------------------------------------------------------

  function entryFor(r: SensorReading): SensorEntry {
    let e = entries.get(r.id);
    if (e === undefined) {
      e = { reading: r, analytics: analytics.create(r.id, config.current.anomalyThreshold), stats: undefined };
      entries.set(r.id, e);
    }
    return e;
  }

  function onReadings(readings: SensorReading[]): void {
    reading = false;
    if (stopped) return;
    const now = clock.now();
    let statusChanged = readings.length !== order.length;
    const newOrder: string[] = [];
    let online = 0;
    for (const r of readings) {
      const e = entryFor(r);
      if (e.reading.status !== r.status) statusChanged = true;
      // Keep the last good value for telemetry's 'value' only while online.
      e.reading = r;
      newOrder.push(r.id);
      if (r.status === 'online' && r.value !== undefined && Number.isFinite(r.value)) {
        online++;
        const { stats, transition } = e.analytics.push(r.value, now);
        e.stats = stats;
        if (transition !== undefined) {
          log.write('info', 'analytics', `anomaly ${transition} on ${r.name} (z=${stats.z.toFixed(2)})`);
          enqueue(alertMessage(envelope(), r, stats, transition, config.current.anomalyThreshold));
        }
      }
    }
    order = newOrder;
    if (online === 0 && now - lastRescan >= rescanIntervalMs) {
      lastRescan = now;
      sensors.scan();
    }
    builder.setSensors(readings, (id) => entries.get(id)?.stats);
    render();
    if (options.onSample) options.onSample({ timeMs: now, epochMs: clock.epochMs(), sensors: snapshots() });
    if (statusChanged && hubState.hub === 'connected') twin.report();
  }

  function sampleNow(): void {
    if (stopped || reading) return;
    reading = true;
    sensors.read(onReadings);
  }

  function snapshots(): SensorSnapshot[] {
    const out: SensorSnapshot[] = [];
    for (const id of order) {
      const e = entries.get(id);
      if (e) out.push({ reading: e.reading, stats: e.stats });
    }
    return out;
  }

  function sendTelemetry(): void {
    enqueue(telemetryMessage(envelope(), snapshots(), outbox.counts));
  }

  function sendAggregate(): void {
    const list: SensorAggregate[] = [];
    for (const id of order) {
      const e = entries.get(id);
      if (!e) continue;
      const a = e.analytics.takeAggregate();
      if (a) list.push({ id, name: e.reading.name, aggregate: a });
    }
    const start = periodStartEpoch;
    periodStartEpoch = clock.epochMs() ?? null;
    if (list.length > 0) enqueue(aggregateMessage(envelope(), start, config.current.aggregatePeriodMs, list));
  }

  // --- schedules ----------------------------------------------------------------------------

  interface Schedule {
    timer: TimerId | undefined;
    due: number;
    interval: () => number;
    run: () => void;
  }

  function makeSchedule(interval: () => number, run: () => void): Schedule {
    return { timer: undefined, due: 0, interval, run };
  }

  function arm(s: Schedule, fromNow: boolean): void {
    if (s.timer !== undefined) timers.clear(s.timer);
    const now = clock.now();
    s.due = fromNow ? now + s.interval() : Math.max(s.due + s.interval(), now);
    s.timer = timers.set(() => {
      s.timer = undefined;
      if (stopped) return;
      s.run();
      if (!stopped) arm(s, false);
    }, s.due - now);
  }

  const sampling = makeSchedule(() => config.current.samplingIntervalMs, sampleNow);
  const telemetry = makeSchedule(() => config.current.telemetryIntervalMs, sendTelemetry);
  const aggregation = makeSchedule(() => config.current.aggregatePeriodMs, sendAggregate);

  // --- control: what C2D, methods and the twin may do -------------------------------------

  /**
   * Applies validated configuration. `replace`: the patch is a complete desired document, so
   * sensor settings it does not hold return to their defaults.
   */
  function configure(patch: Record<string, unknown>, source: string, replace = false): ApplyResult {
    let rest = patch;
    const hasSensors = Object.prototype.hasOwnProperty.call(patch, 'sensors');
    if (hasSensors) {
      rest = {};
      for (const key of Object.keys(patch)) if (key !== 'sensors') rest[key] = patch[key];
    }
    const result = config.apply(rest);
    for (const key of result.applied) {
      log.write('info', 'config', `${key} = ${JSON.stringify((config.current as unknown as Record<string, unknown>)[key])} (${source})`);
      if (key === 'samplingIntervalMs') arm(sampling, true);
      else if (key === 'telemetryIntervalMs') arm(telemetry, true);
      else if (key === 'aggregatePeriodMs') arm(aggregation, true);
      else if (key === 'anomalyThreshold') entries.forEach((e) => e.analytics.setThreshold(config.current.anomalyThreshold));
      else if (key === 'resolution') sensors.setResolution(config.current.resolution);
      else if (key === 'displayMessage') {
        if (config.current.displayMessage !== '') builder.setMessage(config.current.displayMessage, 'config', clock.epochMs());
        else builder.clearMessage();
      }
    }
    if (result.applied.length > 0) storage.set(CONFIG_KEY, config.serialize());
    if (hasSensors) configureSensors(patch.sensors, source, replace, result);
    if (result.applied.length > 0) {
      render();
      if (source !== 'twin' && hubState.hub === 'connected') twin.report();
    }
    return result;
  }

  /** Applies desired sensor settings; adds 'sensors/<ID>' to `result` for each change. */
  function configureSensors(value: unknown, source: string, replace: boolean, result: ApplyResult): void {
    const r = sensorSettings.apply(value, replace);
    for (const refusal of r.refused) result.refused.push(refusal);
    if (r.changed.length === 0) return;
    storage.set(SENSORS_KEY, sensorSettings.serialize());
    for (const { id, previousOffset } of r.changed) {
      const setting = sensorSettings.get(id);
      log.write('info', 'config', `sensor ${id} = ${JSON.stringify(setting ?? null)} (${source})`);
      result.applied.push(`sensors/${id}`);
      applySensorSetting(id, previousOffset);
    }
    builder.setSensors(currentReadings(), (id) => entries.get(id)?.stats);
  }

  /** Hands a sensor's setting to the source and brings the app's view of it up to date at once. */
  function applySensorSetting(id: string, previousOffset: number): void {
    if (!sensors.configureSensor) return;
    const reading = sensors.configureSensor(id, sensorSettings.get(id));
    if (reading === undefined) return;
    const e = entries.get(reading.id);
    if (e === undefined) return;
    e.reading = reading;
    const delta = sensorSettings.offset(id) - previousOffset;
    if (delta !== 0) {
      e.analytics.recalibrate(delta);
      if (e.stats !== undefined) e.stats = e.analytics.stats();
    }
  }

  function currentReadings(): SensorReading[] {
    const out: SensorReading[] = [];
    for (const id of order) {
      const e = entries.get(id);
      if (e) out.push(e.reading);
    }
    return out;
  }

  /** The reported view of every known or configured sensor. */
  function reportedSensors(): ReportedSensor[] {
    const out: ReportedSensor[] = [];
    const seen: string[] = [];
    for (const r of currentReadings()) {
      seen.push(r.id.toUpperCase());
      out.push({ id: r.id, name: r.name, status: r.status, offset: sensorSettings.offset(r.id) });
    }
    // Configured before the sensor was found: reported as missing so the setting is visible.
    for (const id of sensorSettings.ids()) {
      if (seen.indexOf(id) >= 0) continue;
      const s = sensorSettings.get(id);
      out.push({ id, name: s?.name ?? null, status: 'missing', offset: s?.offset ?? 0 });
    }
    return out;
  }

  function stats(): Record<string, unknown> {
    const list: Record<string, unknown>[] = [];
    for (const id of order) {
      const e = entries.get(id);
      if (!e) continue;
      const s = e.stats;
      list.push({
        id,
        name: e.reading.name,
        status: e.reading.status,
        value: e.reading.value === undefined ? null : e.reading.value,
        offset: sensorSettings.offset(id),
        count: s ? s.count : 0,
        mean: s ? s.mean : null,
        std: s ? s.std : null,
        min: s ? s.min : null,
        max: s ? s.max : null,
        z: s ? s.z : null,
        anomaly: s ? s.anomaly : false,
      });
    }
    const counts = outbox.counts;
    return {
      deviceId,
      firmware,
      uptimeMs: Math.round(uptime()),
      sensors: list,
      outbox: { pending: counts.pending, bytes: counts.bytes, overflow: counts.overflow, expired: counts.expired },
      config: config.reported() as unknown as Record<string, unknown>,
      hub: hubState.hub,
    };
  }

  const control: DeviceControl = {
    configure,
    identify(durationMs) {
      if (identifyTimer !== undefined) timers.clear(identifyTimer);
      identifyTimer = undefined;
      builder.setIdentify(durationMs > 0);
      if (durationMs > 0) {
        identifyTimer = timers.set(() => {
          identifyTimer = undefined;
          builder.setIdentify(false);
          if (!stopped) render();
        }, durationMs);
      }
      render();
    },
    showMessage(text, sender) {
      builder.setMessage(text, sender, clock.epochMs());
      render();
    },
    clearMessage() {
      builder.clearMessage();
      render();
    },
    stats,
    reboot(delayMs) {
      log.write('warn', 'device', `reboot requested, restarting in ${delayMs} ms`);
      if (rebootTimer !== undefined) return;
      rebootTimer = timers.set(() => {
        rebootTimer = undefined;
        device.stop();
        host.restart();
      }, delayMs);
    },
    error(source, message) {
      lastError = { source, message, at: clock.epochMs() ?? null };
      log.write('warn', source, message);
    },
  };

  const twin = new TwinSync(hub, control, () => ({
    firmware,
    config: config.reported() as unknown as Record<string, unknown>,
    sensors: reportedSensors(),
    lastError,
    uptimeMs: uptime(),
  }));

  // --- hub ----------------------------------------------------------------------------------

  hub.setHandlers({
    onState(state) {
      if (stopped) return;
      const was = hubState.hub;
      hubState = state;
      if (state.hub !== was) {
        log.write('info', 'hub', `hub ${state.hub}${state.error ? ': ' + state.error : ''}`);
        // Sends in flight stay in flight across a disconnect: the hub connection either keeps
        // them (MQTT session) and acknowledges later, or fails them through their callbacks.
        if (state.hub === 'connected') {
          twin.synchronize();
          pump();
        }
      }
      render();
    },
    onC2D(message) {
      if (!stopped) handleC2D(message, control);
    },
    onDesired(patch) {
      if (!stopped) twin.onDesired(patch);
    },
    onMethod(call) {
      if (stopped) call.respond(503, '{"error":"stopping"}');
      else handleMethod(call, control);
    },
  });

  const device: Device = {
    get config() {
      return config.current;
    },
    display: () => lastModel,
    outboxCounts: () => outbox.counts,
    stats,
    configure: (patch) => configure(patch, 'local'),
    sampleNow,
    stop() {
      if (stopped) return;
      stopped = true;
      for (const s of [sampling, telemetry, aggregation]) if (s.timer !== undefined) timers.clear(s.timer);
      if (identifyTimer !== undefined) timers.clear(identifyTimer);
      if (rebootTimer !== undefined) timers.clear(rebootTimer);
      hub.stop();
    },
  };

  // --- start --------------------------------------------------------------------------------

  // Stored settings reach the source before the first scan, so sensors get them as they appear.
  for (const id of sensorSettings.ids()) sensors.configureSensor?.(id, sensorSettings.get(id));

  sensors.setResolution(config.current.resolution);
  sensors.scan();
  lastRescan = clock.now();
  if (config.current.displayMessage !== '') builder.setMessage(config.current.displayMessage, 'config', clock.epochMs());
  render();
  arm(sampling, true);
  arm(telemetry, true);
  arm(aggregation, true);
  hub.start();
  sampleNow();
  return device;
}
