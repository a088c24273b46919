/**
 * `npm start`: the desktop simulator. Starts the local IoT Hub emulator, one simulated device
 * (or N with --devices N) with its simulated 1-Wire bus of DS18B20s, runs the same src/device
 * application on the Node host against the emulator over TLS (trusting the emulator's CA), and
 * serves the dashboard. With --connection-string the simulated device talks to a real IoT Hub
 * instead (verified against the bundled Azure roots); cloud-side controls are then off.
 *
 *   npm start -- [--devices N] [--port DASHBOARD_PORT] [--data DIR] [--connection-string "HostName=..."]
 *                [--transport mqtts|wss|auto] [--wss-port P] [--cloud iothub|eventgrid]
 *
 * With --cloud eventgrid the devices use the Event Grid profile (src/eventgrid) against a local
 * mosquitto configured as an Event Grid namespace (simulator/eventgrid/broker): MQTT 5, client
 * certificates, per-device topic spaces; the dashboard's controls go through the service client.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { windowAnalytics, type WindowAnalyticsOptions } from '../src/device/adapters/analytics';
import { EventGridConnection } from '../src/device/adapters/eventgrid';
import { HubClientConnection } from '../src/device/adapters/hub';
import { BusSensorSource } from '../src/device/adapters/sensors';
import { startDevice, type Device, type SampleEvent } from '../src/device/app';
import type { DeviceConfig } from '../src/device/config';
import type { HubClientOptions } from '../src/iothub/hub-client';
import { parseTransport, type Transport } from '../src/iothub/transport';
import type { HubConnection } from '../src/device/ports';
import type { Network } from '../src/platform';
import { CuttableNetwork } from '../hosts/node/cuttable-network';
import { createNodeHost, type NodeHost } from '../hosts/node/host';
import { ConsoleLog } from '../hosts/node/log';
import { NodeNetwork } from '../hosts/node/network';
import { startDashboard, type ChartSample, type Dashboard, type DashboardBackend, type DashboardDevice, type FaultKind } from './dashboard/server';
import { startEventGridBroker, type EventGridBroker } from './eventgrid/broker';
import { connectService, type EventGridService } from './eventgrid/service';
import { SimulatedOneWireBus } from './hardware/onewire-bus';
import { startHub, type Hub } from './hub/hub';
import { RequestError } from './hub/request-fields';

export const FIRMWARE_VERSION = '0.1.0';
const HISTORY = 300;
const SPIKE_CELSIUS = 12;
const SPIKE_MS = 4000;

export interface SimulatorOptions {
  /** Simulated devices (emulator mode). Default 1. */
  devices?: number;
  /** Sensors per device. Default 3. */
  sensors?: number;
  /** Where the emulator and the devices keep their files. Default .sim-data. */
  dataDir?: string;
  /** Dashboard port; 0 picks a free one. Default 8080. */
  dashboardPort?: number;
  /** Emulator ports (0: free ones). Defaults 8883 and 8090. */
  mqttPort?: number;
  httpPort?: number | null;
  /** Run one device against a real IoT Hub with this device connection string. */
  connectionString?: string;
  /** Initial device configuration. */
  config?: Partial<DeviceConfig>;
  /** Thermal noise (°C standard deviation). Default 0.05. */
  noise?: number;
  /** Anomaly detector options (e.g. a shorter warm-up for tests); the firmware's defaults otherwise. */
  detector?: WindowAnalyticsOptions['detector'];
  log?: 'debug' | 'info' | 'warn' | 'error';
  /** Seed for ROM ids and noise. Default 1. */
  seed?: number;
  /** Use this running emulator instead of starting one (it is not stopped with the simulator). */
  hub?: Hub;
  /** The devices' network under the dashboard's cut switch. Default: Node's net/tls (hosts/node). */
  network?: () => Network;
  /** The devices' bound on a packet from the hub (the firmware's maxIncomingBytes). Default: IoT Hub's limits. */
  maxIncomingPacketSize?: number;
  /**
   * How the devices reach the hub: 'mqtts' (default), 'wss' (MQTT over secure WebSockets) or
   * 'auto' (MQTT port first, then wss): src/iothub/transport.
   */
  transport?: Transport;
  /**
   * The emulator's MQTT-over-WebSockets port (0: a free one). Default off, or a free port when
   * `transport` is wss/auto. With a real hub, the port the devices dial for wss (default 443).
   */
  wssPort?: number;
  /**
   * 'iothub' (default): the IoT Hub emulator (or a real hub). 'eventgrid': a local Event Grid-like
   * broker (mosquitto, simulator/eventgrid/broker) on `mqttPort` (default: a free port).
   */
  cloud?: Cloud;
}

export type Cloud = 'iothub' | 'eventgrid';

export function parseCloud(value: string): Cloud {
  if (value === 'iothub' || value === 'eventgrid') return value;
  throw new Error(`--cloud must be "iothub" or "eventgrid", got "${value}"`);
}

export interface SimulatedDevice {
  id: string;
  host: NodeHost;
  bus: SimulatedOneWireBus;
  network: CuttableNetwork;
  sensors: BusSensorSource;
  /** The running application (replaced on reboot). */
  app: Device;
  history: ChartSample[];
  restarts: number;
  /** Stops the application and starts it again, as a reboot would (storage survives). */
  restart(): void;
  stop(): void;
}

export interface Simulator {
  hub: Hub | undefined;
  /** With cloud 'eventgrid': the local broker and the service client. */
  eventGrid?: { broker: EventGridBroker; service: EventGridService };
  dashboard: Dashboard;
  devices: SimulatedDevice[];
  stop(): Promise<void>;
}

type Listener = (event: string, data: unknown) => void;

function chartSample(e: SampleEvent): ChartSample {
  return {
    t: e.epochMs ?? e.timeMs,
    sensors: e.sensors.map(({ reading, stats }) => ({
      id: reading.id,
      name: reading.name,
      value: reading.status === 'online' && reading.value !== undefined ? reading.value : null,
      mean: stats && stats.count > 0 ? stats.mean : null,
      std: stats && stats.count > 0 ? stats.std : null,
      anomaly: stats ? stats.anomaly : false,
      anomalyKind: stats && stats.anomaly && stats.alert ? stats.alert.kind : null,
      alarm: e.alarms?.[reading.id]?.active ?? null,
      high: e.alarms?.[reading.id]?.high ?? null,
      low: e.alarms?.[reading.id]?.low ?? null,
      status: reading.status,
    })),
  };
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const dataDir = path.resolve(options.dataDir ?? '.sim-data');
  fs.mkdirSync(dataDir, { recursive: true });
  const listeners = new Set<Listener>();
  const emit = (event: string, data: unknown): void => {
    for (const l of listeners) l(event, data);
  };
  if (options.cloud === 'eventgrid') return startEventGridSimulator(options, dataDir, listeners, emit);
  const realHub = options.connectionString !== undefined;
  const ownHub = !realHub && options.hub === undefined;
  const hub = realHub
    ? undefined
    : options.hub ?? await startHub({ dataDir: path.join(dataDir, 'hub'), mqttPort: options.mqttPort ?? 8883, httpPort: options.httpPort === undefined ? 8090 : options.httpPort, dpsPort: null, wssPort: emulatorWssPort(options) });
  const transport = options.transport ?? 'mqtts';
  if (hub && transport !== 'mqtts' && hub.wssPort === undefined) throw new Error(`--transport ${transport} needs the emulator's WebSocket port (start it with --wss-port)`);

  const count = realHub ? 1 : Math.max(1, options.devices ?? 1);
  const devices: SimulatedDevice[] = [];
  for (let i = 0; i < count; i++) {
    let deviceId: string;
    let hubOptions: HubClientOptions;
    if (hub) {
      deviceId = `sim-${i + 1}`;
      if (!hub.device(deviceId)) hub.createDevice({ deviceId });
      hubOptions = {
        connectionString: hub.connectionString(deviceId),
        endpoint: { host: '127.0.0.1', port: hub.mqttPort, tls: { ca: [hub.caPem], serverName: hub.hostName }, transport, wssPort: hub.wssPort },
        backoff: { minMs: 500, maxMs: 5000 },
      };
    } else {
      const cs = options.connectionString as string;
      const m = /(?:^|;)DeviceId=([^;]+)/i.exec(cs);
      deviceId = m ? m[1] : 'device';
      hubOptions = { connectionString: cs, endpoint: { transport, ...(options.wssPort ? { wssPort: options.wssPort } : {}) } };
    }
    if (options.maxIncomingPacketSize !== undefined) hubOptions.maxIncomingPacketSize = options.maxIncomingPacketSize;
    devices.push(createSimulatedDevice(i, deviceId, (host) => new HubClientConnection(hubOptions, host), dataDir, options, emit));
  }

  const backend = makeBackend(hub, devices, listeners);
  const dashboard = await startDashboard(backend, { port: options.dashboardPort ?? 8080 });

  let stopped = false;
  return {
    hub,
    dashboard,
    devices,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const d of devices) d.stop();
      await dashboard.close();
      if (hub && ownHub) await hub.stop();
    },
  };
}

/** `npm start -- --cloud eventgrid`: the local Event Grid-like broker, its service client and the devices. */
async function startEventGridSimulator(options: SimulatorOptions, dataDir: string, listeners: Set<Listener>, emit: (event: string, data: unknown) => void): Promise<Simulator> {
  const count = Math.max(1, options.devices ?? 1);
  const ids = Array.from({ length: count }, (_, i) => `sim-${i + 1}`);
  const broker = await startEventGridBroker({ dir: path.join(dataDir, 'eventgrid'), port: options.mqttPort ?? 0, devices: ids });
  const service = connectService(broker);
  const devices = ids.map((deviceId, i) => {
    const credentials = broker.device(deviceId);
    return createSimulatedDevice(i, deviceId, (host) => new EventGridConnection({
      hostName: broker.hostName,
      host: broker.host,
      port: broker.port,
      authenticationName: deviceId,
      tls: { ca: [broker.caPem], cert: credentials.certPem, key: credentials.keyPem },
      backoff: { minMs: 500, maxMs: 5000 },
      ...(options.maxIncomingPacketSize !== undefined ? { maxIncomingPacketSize: options.maxIncomingPacketSize } : {}),
    }, host), dataDir, options, emit);
  });
  const backend = eventGridBackend(makeBackend(undefined, devices, listeners), service);
  const dashboard = await startDashboard(backend, { port: options.dashboardPort ?? 8080 });
  let stopped = false;
  return {
    hub: undefined,
    eventGrid: { broker, service },
    dashboard,
    devices,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const d of devices) d.stop();
      service.close();
      await dashboard.close();
      await broker.stop();
    },
  };
}

/** The dashboard's cloud-side controls through the Event Grid service client (no twin there). */
function eventGridBackend(base: DashboardBackend, service: EventGridService): DashboardBackend {
  return {
    ...base,
    async sendC2D(deviceId, input) {
      const props: Record<string, string> = {};
      const given = input.properties ?? {};
      for (const key of Object.keys(given)) if (given[key] !== null) props[key] = given[key] as string;
      service.sendMessage(deviceId, input.body ? input.body.toString('utf8') : '', props);
      return { messageId: '' };
    },
    async getTwin(deviceId) {
      const states = service.received.filter((m) => m.deviceId === deviceId && m.kind === 'state');
      const reported: Record<string, unknown> = {};
      for (const m of states) Object.assign(reported, JSON.parse(m.body) as Record<string, unknown>);
      return { desired: {}, reported };
    },
    async patchDesired() {
      throw new RequestError(501, 'Event Grid keeps no device twin: use the setInterval command');
    },
    async invokeMethod(deviceId, name, payload) {
      return service.invoke(deviceId, name, payload ?? null, 30_000);
    },
  };
}

function createSimulatedDevice(
  index: number,
  deviceId: string,
  makeHub: (host: NodeHost) => HubConnection,
  dataDir: string,
  options: SimulatorOptions,
  emit: (event: string, data: unknown) => void,
): SimulatedDevice {
  const bus = new SimulatedOneWireBus({ seed: (options.seed ?? 1) * 1000 + index, now: () => performance.now() });
  const n = options.sensors ?? 3;
  for (let k = 0; k < n; k++) bus.addSensor({ thermal: { ambient: 20 + k * 1.5 + index * 0.3, noise: options.noise ?? 0.05, driftPerHour: k === 0 ? 0.5 : 0 } });
  const network = new CuttableNetwork(options.network ? options.network() : new NodeNetwork());
  const host = createNodeHost({
    dataDir: path.join(dataDir, 'devices', deviceId),
    oneWire: bus,
    network,
    log: new ConsoleLog({ level: options.log ?? 'info', prefix: deviceId }),
    onRestart: () => setImmediate(() => sim.restart()),
  });
  host.display.onRender((model) => emit('display', { deviceId, model }));
  const sensors = new BusSensorSource(bus, host.timers, host.clock, host.log);
  const history: ChartSample[] = [];

  const launch = (): Device =>
    startDevice(
      host,
      { sensors, hub: makeHub(host), analytics: windowAnalytics({ window: 60, detector: options.detector }) },
      {
        deviceId,
        firmwareVersion: FIRMWARE_VERSION,
        config: { samplingIntervalMs: 1000, telemetryIntervalMs: 5000, ...options.config },
        onSample: (e) => {
          const sample = chartSample(e);
          history.push(sample);
          if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
          emit('sample', { deviceId, sample });
        },
      },
    );

  const sim: SimulatedDevice = {
    id: deviceId,
    host,
    bus,
    network,
    sensors,
    app: launch(),
    history,
    restarts: 0,
    restart() {
      sim.app.stop();
      sim.restarts++;
      sim.app = launch();
    },
    stop() {
      sim.app.stop();
    },
  };
  return sim;
}

function makeBackend(hub: Hub | undefined, devices: SimulatedDevice[], listeners: Set<Listener>): DashboardBackend {
  const find = (id: string): SimulatedDevice => {
    const d = devices.find((x) => x.id === id);
    if (!d) throw new RequestError(404, `device ${id} not found`, 404001);
    return d;
  };
  const needHub = (): Hub => {
    if (!hub) throw new RequestError(501, 'not available against a real IoT Hub: use the Azure portal or CLI');
    return hub;
  };
  const views: DashboardDevice[] = devices.map((d) => ({
    id: d.id,
    display: () => d.host.display.latest,
    history: () => d.history,
    networkUp: () => d.network.isUp,
    sensors: () => d.sensors.readings().map((r) => ({ id: r.id, name: r.name })),
  }));
  return {
    devices: () => views,
    async sendC2D(deviceId, input) {
      const msg = needHub().sendC2D(deviceId, { contentType: 'text/plain', contentEncoding: 'utf-8', ...input });
      return { messageId: msg.messageId };
    },
    async getTwin(deviceId) {
      const twin = needHub().twin(deviceId) as { properties?: { desired?: unknown; reported?: unknown } };
      return { desired: twin.properties?.desired ?? {}, reported: twin.properties?.reported ?? {} };
    },
    async patchDesired(deviceId, desired) {
      const version = needHub().updateDesired(deviceId, desired);
      return { version };
    },
    async invokeMethod(deviceId, name, payload) {
      const r = await needHub().invokeMethod(deviceId, name, (payload ?? null) as never, 30);
      return { status: r.status, payload: r.payload };
    },
    async injectFault(deviceId, sensorId, fault: FaultKind) {
      const bus = find(deviceId).bus;
      if (!bus.devices.some((d) => d.id === sensorId)) throw new RequestError(404, `sensor ${sensorId} not found on device ${deviceId}`);
      if (fault === 'disconnect') bus.setFault(sensorId, { disconnected: true });
      else if (fault === 'reconnect') bus.setFault(sensorId, { disconnected: false });
      else if (fault === 'crc') bus.setFault(sensorId, { crcCorruption: 1 });
      else if (fault === 'spike') bus.injectSpike(sensorId, SPIKE_CELSIUS, SPIKE_MS);
      else bus.clearFaults(sensorId);
    },
    async setNetwork(deviceId, up) {
      const d = find(deviceId);
      if (up) d.network.restore();
      else d.network.cut();
      for (const l of listeners) l('network', { deviceId, up });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The emulator's wss port: as asked, else a free one when the devices need it, else off. */
function emulatorWssPort(options: SimulatorOptions): number | null {
  if (options.wssPort !== undefined) return options.wssPort;
  return options.transport === 'wss' || options.transport === 'auto' ? 0 : null;
}

function parseArgs(argv: string[]): SimulatorOptions {
  const options: SimulatorOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--devices') options.devices = Number(value());
    else if (a === '--port') options.dashboardPort = Number(value());
    else if (a === '--data') options.dataDir = value();
    else if (a === '--connection-string') options.connectionString = value();
    else if (a === '--mqtt-port') options.mqttPort = Number(value());
    else if (a === '--http-port') options.httpPort = Number(value());
    else if (a === '--sensors') options.sensors = Number(value());
    else if (a === '--log') options.log = value() as SimulatorOptions['log'];
    else if (a === '--transport') options.transport = parseTransport(value());
    else if (a === '--wss-port') options.wssPort = port(a, value());
    else if (a === '--cloud') options.cloud = parseCloud(value());
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm start -- [--devices N] [--sensors N] [--port PORT] [--data DIR] [--mqtt-port P] [--http-port P] [--transport mqtts|wss|auto] [--wss-port P] [--connection-string "HostName=..."] [--cloud iothub|eventgrid]');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  if (options.devices !== undefined && !(Number.isInteger(options.devices) && options.devices >= 1 && options.devices <= 50)) {
    throw new Error('--devices must be 1..50');
  }
  return options;
}

function port(option: string, text: string): number {
  const n = Number(text);
  if (!(/^\d+$/.test(text) && n <= 65535)) throw new Error(`${option} must be a port number 0..65535`);
  return n;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const sim = await startSimulator(options);
  if (sim.eventGrid) {
    const b = sim.eventGrid.broker;
    console.log(`Event Grid-like broker (mosquitto): ${b.hostName} on mqtts://127.0.0.1:${b.port}, MQTT 5, client certificates in ${path.dirname(b.caPath)}`);
  }
  if (sim.hub) {
    console.log(`IoT Hub emulator: ${sim.hub.hostName} on mqtts://127.0.0.1:${sim.hub.mqttPort}` + (sim.hub.wssPort !== undefined ? `, wss://127.0.0.1:${sim.hub.wssPort}/$iothub/websocket` : '') + (sim.hub.httpPort ? `, service API http://127.0.0.1:${sim.hub.httpPort}` : ''));
  }
  console.log(`devices: ${sim.devices.map((d) => d.id).join(', ')}`);
  console.log(`dashboard: ${sim.dashboard.url}`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('stopping…');
    sim.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
