import { DEFAULT_FRAGMENT_LENGTH } from './tls-fragment';
import config from 'mc/config';
import { parseTransport, type Transport } from '../../src/iothub/transport';

/**
 * Build-time configuration: the manifest's "config" plus `name=value` arguments of mcconfig.
 * Secrets (password, connectionString, deviceKey) come only from the command line; the
 * committed manifest has empty defaults.
 */
export interface FirmwareConfig {
  ssid: string;
  password: string;
  /** IoT Hub device connection string (HostName=...;DeviceId=...;SharedAccessKey=...). */
  connectionString: string;
  /** DPS alternative to the connection string. */
  idScope: string;
  registrationId: string;
  deviceKey: string;
  dpsHost: string;
  /** Trusted root for the hub instead of the Azure roots: base64 DER or PEM (e.g. the emulator's CA). */
  hubCa: string;
  /** Address to dial instead of the connection string's HostName (which stays the TLS name), e.g. 127.0.0.1. */
  hubHost: string;
  /** Port of the hub (and DPS) instead of 8883; 0 = default. */
  hubPort: number;
  /**
   * 'mqtts' (MQTT over TLS, 8883), 'wss' (MQTT over secure WebSockets, 443, for networks that
   * block 8883) or 'auto' (8883, then 443 for the rest of the run once 8883 is refused or times out).
   */
  transport: Transport;
  /** Port for wss instead of 443 (e.g. the emulator's --wss-port); 0 = default. */
  hubWssPort: number;
  /** GPIO of the 1-Wire data line (ESP32). */
  onewirePin: number;
  /** DS18B20s on the simulators' simulated bus (ignored on ESP32). */
  simSensors: number;
  /** Test builds only: a fault schedule for the simulated bus (onewire/fault-schedule.ts); empty = none; ignored on ESP32. */
  simFaults: string;
  sampleIntervalMs: number;
  telemetryIntervalMs: number;
  /** Samples per sensor in the analytics window. */
  analyticsWindow: number;
  /**
   * Sensors tracked at most (src/device/sensor-table.ts): each costs heap, so more than fit are
   * reported in lastError instead of exhausting it. Default 8, what the Moddable lane runs whole in the ESP32's heap
   * (hosts/moddable/README.md, "Memory"); raise it together with the manifest's creation sizes: a value the
   * heap cannot hold is lowered at start (application.ts, src/device/heap-budget.ts) and logged.
   */
  maxSensors: number;
  /** Outbox bounds: it lives in Preference (NVS on ESP32, tens of KB in all). */
  outboxMaxCount: number;
  outboxMaxBytes: number;
  /**
   * Messages published and not yet acknowledged at once. Default 1: each one in flight holds its
   * payload in the MQTT session and, while the socket is full, a copy of what the socket has not
   * taken (socket-connection.ts); after an outage with 24 sensors, four of them at once were
   * about 30 KB of chunk beside the steady state, more than the ESP32's heap leaves (issue 11).
   * One message per round trip still sends a backlog at several messages a second.
   */
  maxInFlight: number;
  /**
   * Largest MQTT packet taken whole from the hub, bytes: what the heap can hold about three
   * times over (packet, text, parsed JSON) beside the steady state. Larger C2D messages are
   * completed unread and reported, larger method requests answered 413, larger twins refused.
   */
  maxIncomingBytes: number;
  /** TLS max_fragment_length asked of the server, bytes (512..4096; 0: not asked). ModdableNetworkOptions.maxFragmentLength. */
  tlsMaxFragment: number;
  /** > 0: collect garbage and log the live XS heap every this many ms (memory-probe.ts). */
  memoryProbeMs: number;
  /** SNTP servers, comma-separated, tried in turn. */
  sntp: string;
  /** 'iothub' (default) or 'eventgrid': an Event Grid namespace's MQTT broker (src/eventgrid). */
  cloud: 'iothub' | 'eventgrid';
  /** Event Grid: the namespace's MQTT hostname ({namespace}.{region}-1.ts.eventgrid.azure.net); hubHost/hubPort override where it is dialled. */
  egHost: string;
  /** Event Grid: the client authentication name (also the device id and the MQTT client id). */
  egName: string;
  /** Event Grid: resources (DER) of the client certificate and its RSA key in PKCS#8. */
  egCert: string;
  egKey: string;
  /** Event Grid: topic templates ({deviceId} or ${client.authenticationName}); empty = the default. */
  egTelemetryTopic: string;
  egCommandsTopic: string;
  egMessagesTopic: string;
  egStateTopic: string;
}

/** Throws Error for an unknown cloud name. */
export function parseCloud(value: string): 'iothub' | 'eventgrid' {
  if (value === 'iothub' || value === 'eventgrid') return value;
  throw new Error(`cloud must be "iothub" or "eventgrid", got "${value}"`);
}

export function readConfig(): FirmwareConfig {
  const c = config;
  return {
    ssid: text(c.ssid),
    password: text(c.password),
    connectionString: text(c.connectionString),
    idScope: text(c.idScope),
    registrationId: text(c.registrationId),
    deviceKey: text(c.deviceKey),
    dpsHost: text(c.dpsHost) || 'global.azure-devices-provisioning.net',
    hubCa: text(c.hubCa),
    hubHost: text(c.hubHost),
    hubPort: integer(c.hubPort, 0),
    transport: parseTransport(text(c.transport) || 'mqtts'),
    hubWssPort: integer(c.hubWssPort, 0),
    onewirePin: integer(c.onewirePin, 16),
    simSensors: integer(c.simSensors, 3),
    simFaults: text(c.simFaults),
    sampleIntervalMs: integer(c.sampleIntervalMs, 10000),
    telemetryIntervalMs: integer(c.telemetryIntervalMs, 60000),
    analyticsWindow: integer(c.analyticsWindow, 60),
    maxSensors: integer(c.maxSensors, 8),
    outboxMaxCount: integer(c.outboxMaxCount, 50),
    outboxMaxBytes: integer(c.outboxMaxBytes, 8192),
    maxInFlight: Math.max(1, integer(c.maxInFlight, 1)),
    maxIncomingBytes: integer(c.maxIncomingBytes, 8192),
    tlsMaxFragment: integer(c.tlsMaxFragment, DEFAULT_FRAGMENT_LENGTH),
    memoryProbeMs: integer(c.memoryProbeMs, 0),
    sntp: text(c.sntp) || 'pool.ntp.org',
    cloud: parseCloud(text(c.cloud) || 'iothub'),
    egHost: text(c.egHost),
    egName: text(c.egName),
    egCert: text(c.egCert) || 'eg-client.der',
    egKey: text(c.egKey) || 'eg-client-key.der',
    egTelemetryTopic: text(c.egTelemetryTopic),
    egCommandsTopic: text(c.egCommandsTopic),
    egMessagesTopic: text(c.egMessagesTopic),
    egStateTopic: text(c.egStateTopic),
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function integer(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : Number.parseInt(text(value), 10);
  return Number.isFinite(n) ? n : fallback;
}
