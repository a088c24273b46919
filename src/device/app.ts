/**
 * The device application: sensors -> analytics -> telemetry (through the outbox) -> hub;
 * C2D -> display; twin and methods -> live configuration.
 *
 * Everything runs on the host's timers and clock, so tests drive it in simulated time.
 * startDevice only wires the collaborators, one concept per file:
 *   context.ts        shared state: host, live configuration, stopped, hub state, last error
 *   schedule.ts       a drift-free periodic job (sampling, telemetry, aggregation)
 *   sampling.ts       the sampling schedule, bus rescans, status changes
 *   sensor-table.ts   each sensor's latest reading, analytics and stats
 *   telemetry-pump.ts message numbering, the outbox and sending (pumped when something is
 *                     queued, an acknowledgement arrives or the hub connects)
 *   config-sync.ts    configuration from every source, stored and put into effect
 *   twin.ts           the twin: desired -> config-sync, reported properties
 *   screen.ts         the display model and the identify flash
 *   commands.ts       what C2D, methods and the twin may do (DeviceControl)
 */
import type { DisplayModel } from '../platform';
import { alarmMessage } from './alarm-message';
import { handleC2D } from './c2d';
import type { ApplyResult, DeviceConfig } from './config';
import { ConfigSync, SENSORS_KEY } from './config-sync';
import { DeviceCommands } from './commands';
import { DeviceContext, type DeviceHost } from './context';
import { LimitAlarms, type AlarmHandler } from './limit-alarms';
import { handleMethod } from './methods';
import type { OutboxCounts, OutboxOptions } from './outbox';
import type { AnalyticsFactory, HubConnection, SensorSource } from './ports';
import { SamplingLoop, type SampleEvent } from './sampling';
import { Screen } from './screen';
import { SensorSettings } from './sensor-settings';
import { SensorTable } from './sensor-table';
import { alertMessage } from './telemetry';
import { TelemetryPump } from './telemetry-pump';
import { TwinSync } from './twin';

export type { DeviceHost } from './context';
export type { SampleEvent } from './sampling';

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
  /** How often to search the bus for sensors plugged in or gone while some are online. Default 30 s. */
  searchIntervalMs?: number;
  /** Observer of every sampling round (the simulator's charts); must not throw. */
  onSample?: (sample: SampleEvent) => void;
  /** Sensors tracked at most (SensorTable says what happens beyond). Default 32. */
  maxSensors?: number;
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

/** The collaborators of one running device. */
interface Parts {
  ctx: DeviceContext;
  settings: SensorSettings;
  table: SensorTable;
  screen: Screen;
  pump: TelemetryPump;
  sampling: SamplingLoop;
  sync: ConfigSync;
  commands: DeviceCommands;
  twin: TwinSync;
}

export function startDevice(host: DeviceHost, deps: DeviceDeps, options: DeviceOptions): Device {
  const p = build(host, deps, options);
  const { ctx, screen, pump, sampling, sync } = p;
  connectHub(deps.hub, p);
  // Stored settings reach the source before the first scan, so sensors get them as they appear.
  sync.applyStored();
  if (ctx.config.current.displayMessage !== '') screen.showConfiguredMessage();
  screen.render();
  sampling.start();
  pump.start();
  deps.hub.start();
  sampling.sampleNow();
  return {
    get config() {
      return ctx.config.current;
    },
    display: () => screen.model,
    outboxCounts: () => pump.outbox.counts,
    stats: () => p.commands.stats(),
    configure: (patch) => sync.configure(patch, 'local'),
    sampleNow: () => sampling.sampleNow(),
    stop: () => stop(deps.hub, p),
  };
}

function build(host: DeviceHost, deps: DeviceDeps, options: DeviceOptions): Parts {
  const ctx = new DeviceContext(host, options.deviceId, options.firmwareVersion ?? '0.0.0', options.config);
  const settings = new SensorSettings();
  settings.restore(host.storage.get(SENSORS_KEY));
  const table = new SensorTable(deps.analytics, () => ctx.config.current.anomalyThreshold, () => ctx.config.current.resolution, options.maxSensors);
  const alarms = new LimitAlarms(host.storage);
  // The closures below refer to parts made after them; none runs before build returns.
  const screen = new Screen(ctx, () => pump.outbox.length);
  screen.alarmOf = (id) => alarms.active(id);
  const onAlarm: AlarmHandler = (r, change) => {
    host.log.write('info', 'alarm', `${change.side} alarm ${change.state} on ${r.name}${change.reason ? ' (' + change.reason + ')' : ''}`);
    pump.enqueue(alarmMessage(pump.envelope(), r, change));
    screen.setSensors(table.readings(), (id) => table.stats(id));
    screen.render();
  };
  const pump = new TelemetryPump(ctx, deps.hub, table, { outbox: options.outbox, maxInFlight: options.maxInFlight, changed: () => screen.render() });
  const sampling = new SamplingLoop(ctx, deps.sensors, table, {
    onTransition(r, stats, transition) {
      host.log.write('info', 'analytics', `anomaly ${transition} on ${r.name}: ${stats.alert ? stats.alert.kind : ''}${stats.alert?.reason ? ' ' + stats.alert.reason : ''} (score ${stats.z.toFixed(2)})`);
      pump.enqueue(alertMessage(pump.envelope(), r, stats, transition, ctx.config.current.anomalyThreshold));
    },
    onRound() {
      alarms.update(table.readings(), host.clock.now(), onAlarm);
      screen.setSensors(table.readings(), (id) => table.stats(id));
      screen.render();
    },
    onStatusChanged() {
      if (ctx.connected) twin.report();
    },
    onSample: options.onSample && alarms.observer(options.onSample),
  }, { rescanIntervalMs: options.rescanIntervalMs ?? 10000, searchIntervalMs: options.searchIntervalMs ?? 30000 });
  const schedules = { samplingIntervalMs: sampling.schedule, telemetryIntervalMs: pump.telemetry, aggregatePeriodMs: pump.aggregation };
  const sync = new ConfigSync(ctx, { sensors: deps.sensors, settings, table, screen, rearm: (key) => schedules[key].arm(true), report: () => twin.report(), alarms, onAlarm });
  const commands = new DeviceCommands(ctx, { sync, screen, table, settings, pump, alarmOf: (id) => alarms.active(id), stop: () => stop(deps.hub, parts) });
  const twin = new TwinSync(deps.hub, commands, () => ({
    firmware: ctx.firmware,
    config: ctx.config.reported() as unknown as Record<string, unknown>,
    sensors: table.reported(settings),
    alarms: alarms.reported(),
    lastError: ctx.lastError,
    uptimeMs: ctx.uptime(),
  }));
  const parts: Parts = { ctx, settings, table, screen, pump, sampling, sync, commands, twin };
  return parts;
}

/** Routes the hub's events to the device's parts. */
function connectHub(hub: HubConnection, p: Parts): void {
  const { ctx, twin, pump, screen, commands } = p;
  hub.setHandlers({
    onState(state) {
      if (ctx.stopped) return;
      const was = ctx.hubState.hub;
      ctx.hubState = state;
      if (state.hub !== was) {
        ctx.host.log.write('info', 'hub', `hub ${state.hub}${state.error ? ': ' + state.error : ''}`);
        // Sends in flight stay in flight across a disconnect: the hub connection either keeps
        // them (MQTT session) and acknowledges later, or fails them through their callbacks.
        if (state.hub === 'connected') {
          twin.synchronize();
          pump.pump();
        } else if (was === 'connected') {
          pump.connectionLost();
        }
      }
      screen.render();
    },
    onC2D(message) {
      // A refused message is reported at once: the sender learns why it was not shown.
      if (!ctx.stopped && !handleC2D(message, commands).ok) twin.report();
    },
    onDesired(patch, full) {
      if (!ctx.stopped) twin.onDesired(patch, full === true);
    },
    onMethod(call) {
      if (ctx.stopped) call.respond(503, '{"error":"stopping"}');
      else handleMethod(call, commands);
    },
    onError(source, message) {
      if (ctx.stopped) return;
      commands.error(source, message);
      twin.report();
    },
  });
}

function stop(hub: HubConnection, p: Parts): void {
  if (p.ctx.stopped) return;
  p.ctx.stopped = true;
  p.sampling.stop();
  p.pump.stop();
  p.screen.stop();
  p.commands.stop();
  hub.stop();
}
