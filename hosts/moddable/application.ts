import type { Host } from '../../src/platform';
import { windowAnalytics } from '../../src/device/adapters/analytics';
import { EventGridConnection } from '../../src/device/adapters/eventgrid';
import { HubClientConnection } from '../../src/device/adapters/hub';
import { BusSensorSource } from '../../src/device/adapters/sensors';
import { startDevice, type Device } from '../../src/device/app';
import type { HubConnection, HubHandlers, SensorSource } from '../../src/device/ports';
import { base64Decode } from '../../src/iothub/base64';
import type { DeviceConnectionString } from '../../src/iothub/connection-string';
import type { HubClientOptions, HubEndpoint } from '../../src/iothub/hub-client';
import { ProvisioningClient } from '../../src/iothub/provisioning-client';
import { Secret } from '../../src/iothub/secret';
import type { TransportMemory } from '../../src/iothub/transport';
import { admittedSensors, deviceHeapBudget, type HeapSize } from '../../src/device/heap-budget';
import { parseConnectionString } from '../../src/iothub/connection-string';
import type { FirmwareConfig } from './config';

export const FIRMWARE_VERSION = '0.1.0';

/** Delay before provisioning again after DPS failed. */
const DPS_RETRY_MS = 30000;

export interface Application {
  readonly device: Device;
  stop(): void;
}

/**
 * Starts the device application (src/device/app) on the Moddable Host, once the network and
 * the time are up: DS18B20s on the host's 1-Wire bus, window analytics, and the IoT Hub client
 * over the host's TLS, tracking as many sensors as `heap` holds (all of maxSensors without it). The
 * hub is reached with `connectionString`, or through DPS with
 * `idScope` + `registrationId` + `deviceKey` (the device then starts connecting after the
 * service assigned it a hub; sensors and the display run meanwhile).
 */
export function startApplication(host: Host, config: FirmwareConfig, heap?: HeapSize): Application {
  // One memory for the run: once 'auto' moved to 443, DPS and the hub stay there until restart.
  const memory: TransportMemory = { wss: false };
  const hub = config.cloud === 'eventgrid'
    ? eventGridHub(host, config)
    : config.connectionString ? new HubClientConnection(hubOptions(config, config.connectionString, memory), host) : provisionedHub(host, config, memory);
  const sensors = host.oneWire ? new BusSensorSource(host.oneWire, host.timers, host.clock, host.log) : noSensors();
  const maxSensors = heap ? sensorsTheHeapHolds(host, config, heap) : config.maxSensors;
  const device = startDevice(
    host,
    { sensors, hub, analytics: windowAnalytics({ window: config.analyticsWindow }) },
    {
      deviceId: deviceIdOf(config),
      firmwareVersion: FIRMWARE_VERSION,
      config: { samplingIntervalMs: config.sampleIntervalMs, telemetryIntervalMs: config.telemetryIntervalMs },
      outbox: { maxCount: config.outboxMaxCount, maxBytes: config.outboxMaxBytes },
      maxSensors,
      maxInFlight: config.maxInFlight,
    },
  );
  return { device, stop: () => device.stop() };
}

/**
 * config.maxSensors, or fewer where `heap` (the application's share of the XS heap: main.ts) cannot
 * hold that many at their peaks with config.analyticsWindow (src/device/heap-budget.ts). A lowered
 * cap is logged, and each sensor then refused is reported in lastError (SamplingLoop), so the device never runs into XS's
 * "memory full" abort and a restart loop.
 */
function sensorsTheHeapHolds(host: Host, config: FirmwareConfig, heap: HeapSize): number {
  const admitted = admittedSensors(config.maxSensors, heap, deviceHeapBudget(config.analyticsWindow));
  if (admitted.refusal) host.log.write('error', 'heap', admitted.refusal);
  return admitted.maxSensors;
}

/**
 * The Event Grid profile (src/eventgrid): MQTT 5 over TLS to `egHost` (or hubHost/hubPort), the
 * client certificate and key from resources, the authentication name as User Name. Without a `ca`
 * the network trusts hubCa (or its default root).
 */
function eventGridHub(host: Host, config: FirmwareConfig): HubConnection {
  const topics: Record<string, string> = {};
  if (config.egTelemetryTopic) topics.telemetry = config.egTelemetryTopic;
  if (config.egCommandsTopic) topics.commands = config.egCommandsTopic;
  if (config.egMessagesTopic) topics.messages = config.egMessagesTopic;
  if (config.egStateTopic) topics.state = config.egStateTopic;
  return new EventGridConnection({
    hostName: config.egHost,
    host: config.hubHost || undefined,
    port: config.hubPort || undefined,
    authenticationName: config.egName,
    tls: { cert: config.egCert, key: config.egKey },
    topics,
    backoff: { minMs: 1000, maxMs: 60000 },
    maxIncomingPacketSize: config.maxIncomingBytes,
  }, host);
}

/** The hub client's options: the emulator's CA (hubCa) replaces the Azure roots, and hubHost/hubPort the address dialled. */
function hubOptions(config: FirmwareConfig, connectionString: string | DeviceConnectionString, memory: TransportMemory): HubClientOptions {
  const endpoint: HubEndpoint = {};
  // Without a `ca` the Moddable network trusts the host's root (hubCa); the default `ca` list
  // would register DigiCert Global Root G2 instead.
  if (config.hubCa) endpoint.tls = { ca: undefined };
  if (config.hubHost) {
    endpoint.host = config.hubHost;
    endpoint.tls = { ...endpoint.tls, serverName: hostNameOf(connectionString) };
  }
  if (config.hubPort) endpoint.port = config.hubPort;
  transportOptions(endpoint, config, memory);
  // renewalWaitMs: a SAS renewal with a message in flight would send it twice (billed twice).
  return { connectionString, endpoint, backoff: { minMs: 1000, maxMs: 60000 }, maxIncomingPacketSize: config.maxIncomingBytes, renewalWaitMs: 10_000 };
}

/** transport / hubWssPort onto an endpoint; `memory` keeps 'auto''s move to 443 for the whole run (DPS, then the hub). */
function transportOptions(endpoint: HubEndpoint, config: FirmwareConfig, memory: TransportMemory): void {
  endpoint.transport = config.transport;
  endpoint.memory = memory;
  if (config.hubWssPort) endpoint.wssPort = config.hubWssPort;
}

function hostNameOf(cs: string | DeviceConnectionString): string {
  return typeof cs === 'string' ? parsedOrUndefined(cs)?.hostName ?? '' : cs.hostName;
}

function deviceIdOf(config: FirmwareConfig): string {
  if (config.cloud === 'eventgrid') return config.egName;
  return parsedOrUndefined(config.connectionString)?.deviceId || config.registrationId || 'unprovisioned';
}

/**
 * The connection string parsed, or undefined when there is none or it is malformed (the hub client
 * reports that when it starts). Parsed, not matched with a RegExp, which mcsim's XS has crashed in
 * (src/onewire/rom.ts isRomHex).
 */
function parsedOrUndefined(cs: string): DeviceConnectionString | undefined {
  try {
    return cs === '' ? undefined : parseConnectionString(cs);
  } catch {
    return undefined;
  }
}

/**
 * A HubConnection that first registers with DPS, then runs the hub client on the assigned hub.
 * While registering, the device sees 'connecting'; a failed registration is retried.
 */
function provisionedHub(host: Host, config: FirmwareConfig, memory: TransportMemory): HubConnection {
  let handlers: HubHandlers | undefined;
  let inner: HubClientConnection | undefined;
  let dps: ProvisioningClient | undefined;
  let retry: unknown;
  let stopped = true;
  const state = (hub: 'connecting' | 'error', error?: string): void => handlers?.onState({ network: 'down', hub, ...(error ? { error } : {}) });

  const register = (): void => {
    retry = undefined;
    if (stopped) return;
    if (!config.idScope || !config.registrationId || !config.deviceKey) {
      state('error', 'no connectionString, and no idScope + registrationId + deviceKey');
      return;
    }
    const key = new Secret(base64Decode(config.deviceKey));
    const endpoint: HubEndpoint = { host: config.dpsHost };
    if (config.hubCa) endpoint.tls = { ca: undefined };
    if (config.hubPort) endpoint.port = config.hubPort;
    transportOptions(endpoint, config, memory);
    dps = new ProvisioningClient({ idScope: config.idScope, registrationId: config.registrationId, auth: { kind: 'symmetricKey', key }, endpoint }, host);
    state('connecting');
    dps.register().then(
      (result) => {
        dps = undefined;
        if (stopped) return;
        host.log.write('info', 'dps', `assigned to ${result.assignedHub} as ${result.deviceId}`);
        const identity: DeviceConnectionString = {
          hostName: result.assignedHub,
          deviceId: result.deviceId,
          auth: 'sas',
          sharedAccessKey: key,
          toString: () => `HostName=${result.assignedHub};DeviceId=${result.deviceId};SharedAccessKey=<redacted>`,
        };
        inner = new HubClientConnection(hubOptions({ ...config, hubHost: '' }, identity, memory), host);
        if (handlers) inner.setHandlers(handlers);
        inner.start();
      },
      (error: unknown) => {
        dps = undefined;
        if (stopped) return;
        state('error', `DPS: ${error instanceof Error ? error.message : String(error)}`);
        retry = host.timers.set(register, DPS_RETRY_MS);
      },
    );
  };

  const notReady = (onDone: (error: string) => void): void => onDone('not provisioned yet');
  return {
    fullTwinOnConnect: true,
    setHandlers(h) {
      handlers = h;
      inner?.setHandlers(h);
    },
    start() {
      stopped = false;
      if (inner) inner.start();
      else register();
    },
    stop() {
      stopped = true;
      if (retry !== undefined) host.timers.clear(retry);
      retry = undefined;
      inner?.stop();
      dps?.close();
      dps = undefined;
    },
    // A refusal comes after the call returns (ports.ts), so the pump does not take the message again at once.
    sendTelemetry: (body, properties, onDone) => (inner ? inner.sendTelemetry(body, properties, onDone) : void Promise.resolve().then(() => onDone(new Error('not provisioned yet')))),
    getTwin: (onDone) => (inner ? inner.getTwin(onDone) : notReady(onDone)),
    patchReported: (patch, onDone) => (inner ? inner.patchReported(patch, onDone) : notReady(onDone)),
  };
}

/** A host without a 1-Wire bus has no sensors; the rest of the device still runs. */
function noSensors(): SensorSource {
  return { scan() {}, setResolution() {}, read: (onReadings) => onReadings([]) };
}
