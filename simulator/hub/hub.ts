// startHub(): the whole emulator in-process — TLS MQTT endpoint, DPS endpoint, service API.
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { C2DError, C2DQueues, type C2DInput, type C2DMessage } from './c2d-queue';
import { ensureHubCerts } from './certs';
import { DeviceBroker } from './device-broker';
import { DpsBroker, Enrollments, type EnrollmentGroup, type IndividualEnrollment } from './dps';
import { MethodCalls, type MethodResult } from './methods';
import { connectionString, Registry, RegistryError, type CreateDeviceInput, type DeviceRecord } from './registry';
import { startServiceApi } from './service-api';
import { TelemetryStore, type D2CEvent } from './telemetry-store';
import { TwinStore, type Json, type JsonObject } from './twin-store';
import { createWssServer } from './wss';

export interface HubOptions {
  /** where certificates, registry.json, twins.json, dps.json and the C2D queues (c2d/) live (default `.hub` in the working directory) */
  dataDir?: string;
  /** the hub's host name, as in `myhub.azure-devices.net` (default `thermo-hub.localhost`) */
  hostName?: string;
  /** further names for the server certificate's SAN */
  extraHostNames?: string[];
  /** MQTT over TLS (default 8883; 0 picks a free port) */
  mqttPort?: number;
  /** DPS MQTT over TLS (default 8884; 0 picks a free port; null disables DPS) */
  dpsPort?: number | null;
  /** service API over HTTP (default 8090; 0 picks a free port; null disables it) */
  httpPort?: number | null;
  /** plain MQTT without TLS, for tests only (default off) */
  tcpPort?: number | null;
  /** MQTT over secure WebSockets at /$iothub/websocket, subprotocol mqtt, as IoT Hub on 443 (default off; 0 picks a free port) */
  wssPort?: number | null;
  /** DPS over secure WebSockets, likewise (default off; 0 picks a free port; needs DPS on) */
  dpsWssPort?: number | null;
  /** DPS ID scope (default `0ne0000THRM`) */
  idScope?: string;
  /** DPS retry-after seconds (default 3, like DPS) */
  dpsRetryAfter?: number;
  /** DPS status polls answered "assigning" before "assigned" (default 0) */
  dpsPendingPolls?: number;
  /** D2C events kept per device (default 10,000) */
  telemetryLimit?: number;
  /** C2D time to live in seconds (default 3600, IoT Hub's default; 60 s to 2 days) */
  c2dTtlSeconds?: number;
  /** shortest C2D time to live accepted, in seconds (default 60, IoT Hub's minimum; tests lower it) */
  c2dMinTtlSeconds?: number;
}

export interface HubEvents {
  telemetry: [D2CEvent];
  connected: [{ deviceId: string; clean: boolean; auth: 'sas' | 'x509'; timeoutSeconds: number }];
  disconnected: [{ deviceId: string; reason: string }];
  refused: [{ clientId: string; returnCode: number; reason: string; endpoint?: 'dps' }];
  violation: [{ deviceId: string; reason: string }];
  'twin-reported': [{ deviceId: string; version: number; patch: unknown }];
  'twin-desired': [{ deviceId: string; version: number; patch: unknown }];
  'c2d-queued': [{ deviceId: string; messageId: string }];
  'c2d-sent': [{ deviceId: string; messageId: string; qos: 0 | 1 }];
  'c2d-completed': [{ deviceId: string; messageId: string }];
  'method-invoked': [{ deviceId: string; name: string; payload: Json }];
  'method-response': [{ deviceId: string; rid: string; status: number }];
  'device-created': [{ deviceId: string }];
  'device-deleted': [{ deviceId: string }];
  provisioned: [{ registrationId: string; deviceId: string; enrollment: string }];
}

export interface DeviceInfo {
  deviceId: string;
  status: 'enabled' | 'disabled';
  authType: 'sas' | 'x509';
  connectionState: 'Connected' | 'Disconnected';
  cloudToDeviceMessageCount: number;
  createdAt: string;
  provisionedBy?: string;
  primaryKey?: string;
  secondaryKey?: string;
  primaryThumbprint?: string;
  secondaryThumbprint?: string;
  connectionString: string;
}

export interface Hub {
  hostName: string;
  idScope: string;
  dataDir: string;
  mqttPort: number;
  dpsPort: number | undefined;
  httpPort: number | undefined;
  tcpPort: number | undefined;
  wssPort: number | undefined;
  dpsWssPort: number | undefined;
  caPem: string;
  caPath: string;
  caDerPath: string;
  createDevice(input?: Partial<CreateDeviceInput>): DeviceInfo;
  deleteDevice(deviceId: string): Promise<boolean>;
  setDeviceStatus(deviceId: string, status: 'enabled' | 'disabled'): DeviceInfo;
  device(deviceId: string): DeviceInfo | undefined;
  devices(): DeviceInfo[];
  connectionString(deviceId: string): string;
  isConnected(deviceId: string): boolean;
  telemetry(deviceId: string, limit?: number): D2CEvent[];
  sendC2D(deviceId: string, input: C2DInput): C2DMessage;
  c2dQueue(deviceId: string): C2DMessage[];
  twin(deviceId: string): JsonObject;
  updateDesired(deviceId: string, patch: unknown): number;
  updateTags(deviceId: string, patch: unknown): void;
  invokeMethod(deviceId: string, name: string, payload?: Json, timeoutSeconds?: number): Promise<MethodResult>;
  addEnrollment(input: Partial<IndividualEnrollment> & { registrationId: string }): IndividualEnrollment;
  addEnrollmentGroup(input: Partial<EnrollmentGroup> & { groupId: string }): EnrollmentGroup;
  enrollments(): { individual: IndividualEnrollment[]; groups: EnrollmentGroup[] };
  removeEnrollment(id: string): boolean;
  on<E extends keyof HubEvents>(event: E, listener: (...args: HubEvents[E]) => void): Hub;
  off<E extends keyof HubEvents>(event: E, listener: (...args: HubEvents[E]) => void): Hub;
  stop(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    // loopback only: the emulator is never reachable from another machine
    server.listen(port, '127.0.0.1', () => ok((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((ok) => server.close(() => ok()));
}

export async function startHub(options: HubOptions = {}): Promise<Hub> {
  const hostName = options.hostName ?? 'thermo-hub.localhost';
  const idScope = options.idScope ?? '0ne0000THRM';
  const dataDir = resolve(options.dataDir ?? '.hub');
  mkdirSync(dataDir, { recursive: true });
  const certs = ensureHubCerts(dataDir, [hostName, ...(options.extraHostNames ?? [])]);
  const events = new EventEmitter();
  events.setMaxListeners(100);
  const registry = new Registry(dataDir);
  const twins = new TwinStore(dataDir);
  // queued C2D messages persist like the registry and twins, one file per device under c2d/
  const c2d = new C2DQueues(Date.now, options.c2dTtlSeconds ?? 3600, join(dataDir, 'c2d'), options.c2dMinTtlSeconds);
  const methods = new MethodCalls();
  const telemetry = new TelemetryStore(options.telemetryLimit ?? 10_000);
  const enrollments = new Enrollments(dataDir);
  const broker = await DeviceBroker.create({ hostName, registry, twins, c2d, methods, telemetry, events });

  const tlsOptions = { key: certs.keyPem, cert: certs.certPem, minVersion: 'TLSv1.2' as const, requestCert: true, rejectUnauthorized: false };
  // requestCert without CA verification: X.509 devices are recognised by thumbprint, as with
  // IoT Hub's self-signed device certificates
  const mqttServer = createTlsServer(tlsOptions, (socket) => broker.handle(socket));
  const servers: Server[] = [mqttServer];
  const mqttPort = await listen(mqttServer, options.mqttPort ?? 8883);
  let tcpPort: number | undefined;
  if (options.tcpPort !== undefined && options.tcpPort !== null) {
    const tcp = createTcpServer((socket) => broker.handle(socket));
    servers.push(tcp);
    tcpPort = await listen(tcp, options.tcpPort);
  }
  let dps: DpsBroker | undefined;
  let dpsPort: number | undefined;
  if (options.dpsPort !== null) {
    const d = await DpsBroker.create({ idScope, hostName, registry, enrollments, events, retryAfter: options.dpsRetryAfter ?? 3, pendingPolls: options.dpsPendingPolls ?? 0 });
    dps = d;
    const dpsServer = createTlsServer(tlsOptions, (socket) => d.handle(socket));
    servers.push(dpsServer);
    dpsPort = await listen(dpsServer, options.dpsPort ?? 8884);
  }
  let wssPort: number | undefined;
  if (options.wssPort !== undefined && options.wssPort !== null) {
    const wss = createWssServer(tlsOptions, (stream) => broker.handle(stream));
    servers.push(wss);
    wssPort = await listen(wss, options.wssPort);
  }
  let dpsWssPort: number | undefined;
  if (dps && options.dpsWssPort !== undefined && options.dpsWssPort !== null) {
    const d = dps;
    const wss = createWssServer(tlsOptions, (stream) => d.handle(stream));
    servers.push(wss);
    dpsWssPort = await listen(wss, options.dpsWssPort);
  }

  const requireDevice = (deviceId: string): DeviceRecord => {
    const d = registry.get(deviceId);
    if (!d) throw new RegistryError(404, 404001, `device ${deviceId} not found`);
    return d;
  };
  const info = (d: DeviceRecord): DeviceInfo => ({
    deviceId: d.deviceId,
    status: d.status,
    authType: d.auth.type,
    connectionState: broker.isOnline(d.deviceId) ? 'Connected' : 'Disconnected',
    cloudToDeviceMessageCount: c2d.list(d.deviceId).length,
    createdAt: d.createdAt,
    ...(d.provisionedBy ? { provisionedBy: d.provisionedBy } : {}),
    ...(d.auth.type === 'sas' ? { primaryKey: d.auth.primaryKey, secondaryKey: d.auth.secondaryKey } : { primaryThumbprint: d.auth.primaryThumbprint, ...(d.auth.secondaryThumbprint ? { secondaryThumbprint: d.auth.secondaryThumbprint } : {}) }),
    connectionString: connectionString(hostName, d),
  });
  let counter = 0;

  const hub: Hub = {
    hostName,
    idScope,
    dataDir,
    mqttPort,
    dpsPort,
    httpPort: undefined,
    tcpPort,
    wssPort,
    dpsWssPort,
    caPem: certs.caPem,
    caPath: certs.caPath,
    caDerPath: certs.caDerPath,
    createDevice(input = {}) {
      // no id given: the next free thermo-N; a given id (even "" or not a string) is checked by the registry
      let deviceId = input.deviceId;
      while (input.deviceId === undefined && (deviceId === undefined || registry.get(deviceId))) deviceId = `thermo-${++counter}`;
      const d = registry.create({ ...input, deviceId: deviceId as string });
      events.emit('device-created', { deviceId });
      return info(d);
    },
    async deleteDevice(deviceId) {
      if (!registry.get(deviceId)) return false;
      registry.delete(deviceId);
      broker.disconnect(deviceId, 'device deleted');
      c2d.purge(deviceId);
      twins.delete(deviceId);
      telemetry.delete(deviceId);
      methods.abandon(deviceId);
      await broker.forgetSession(deviceId);
      events.emit('device-deleted', { deviceId });
      return true;
    },
    setDeviceStatus(deviceId, status) {
      const d = registry.setStatus(deviceId, status);
      if (status === 'disabled') broker.disconnect(deviceId, 'device disabled');
      return info(d);
    },
    device: (deviceId) => {
      const d = registry.get(deviceId);
      return d && info(d);
    },
    devices: () => registry.list().map(info),
    connectionString: (deviceId) => connectionString(hostName, requireDevice(deviceId)),
    isConnected: (deviceId) => broker.isOnline(deviceId),
    telemetry: (deviceId, limit) => telemetry.recent(deviceId, limit),
    sendC2D(deviceId, input) {
      requireDevice(deviceId);
      return broker.sendC2D(deviceId, input);
    },
    c2dQueue: (deviceId) => c2d.list(requireDevice(deviceId).deviceId),
    twin: (deviceId) => twins.serviceView(requireDevice(deviceId).deviceId),
    updateDesired(deviceId, patch) {
      requireDevice(deviceId);
      return broker.updateDesired(deviceId, patch);
    },
    updateTags(deviceId, patch) {
      requireDevice(deviceId);
      twins.patchTags(deviceId, patch);
    },
    invokeMethod(deviceId, name, payload = null, timeoutSeconds = 30) {
      requireDevice(deviceId);
      // IoT Hub accepts 5..300 s; shorter timeouts are allowed here so tests stay quick
      const ms = Math.round(Math.min(300, Math.max(0.05, timeoutSeconds)) * 1000);
      return broker.invokeMethod(deviceId, name, payload, ms);
    },
    addEnrollment: (input) => enrollments.addIndividual(input),
    addEnrollmentGroup: (input) => enrollments.addGroup(input),
    enrollments: () => enrollments.list(),
    removeEnrollment: (id) => enrollments.remove(id),
    on(event, listener) {
      events.on(event, listener as (...args: unknown[]) => void);
      return hub;
    },
    off(event, listener) {
      events.off(event, listener as (...args: unknown[]) => void);
      return hub;
    },
    async stop() {
      await api?.close();
      methods.close();
      await Promise.all([broker.close(), dps?.close()]);
      await Promise.all(servers.map(closeServer));
      c2d.flush();
    },
  };

  const api = options.httpPort === null ? undefined : await startServiceApi(hub, events, options.httpPort ?? 8090);
  hub.httpPort = api?.port;
  return hub;
}

export { C2DError, RegistryError };
