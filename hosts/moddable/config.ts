import config from 'mc/config';

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
  /** GPIO of the 1-Wire data line (ESP32). */
  onewirePin: number;
  sampleIntervalMs: number;
  /** SNTP servers, comma-separated, tried in turn. */
  sntp: string;
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
    onewirePin: integer(c.onewirePin, 16),
    sampleIntervalMs: integer(c.sampleIntervalMs, 10000),
    sntp: text(c.sntp) || 'pool.ntp.org',
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

function integer(value: unknown, fallback: number): number {
  const n = typeof value === 'number' ? value : Number.parseInt(text(value), 10);
  return Number.isFinite(n) ? n : fallback;
}
