// The identity registry: devices, their credentials and status, persisted as registry.json.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readJson, writeJson } from './json-file';

export type DeviceAuth =
  | { type: 'sas'; primaryKey: string; secondaryKey: string }
  | { type: 'x509'; primaryThumbprint: string; secondaryThumbprint?: string };

export interface DeviceRecord {
  deviceId: string;
  status: 'enabled' | 'disabled';
  auth: DeviceAuth;
  createdAt: string;
  /** set when DPS created or updated the device */
  provisionedBy?: string;
}

export interface CreateDeviceInput {
  deviceId: string;
  status?: 'enabled' | 'disabled';
  primaryKey?: string;
  secondaryKey?: string;
  /** X.509 thumbprint (SHA-1 or SHA-256, hex, colons allowed): the device authenticates with a client certificate */
  primaryThumbprint?: string;
  secondaryThumbprint?: string;
}

export class RegistryError extends Error {
  constructor(public readonly status: number, public readonly errorCode: number, message: string) {
    super(message);
  }
}

// IoT Hub's device id alphabet: ASCII letters, digits and - . % _ * ? ! ( ) , : = @ $ ', up to 128.
const DEVICE_ID = /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/;

export function newSymmetricKey(): string {
  return randomBytes(32).toString('base64');
}

export function normalizeThumbprint(t: string): string {
  return t.replace(/[:\s]/g, '').toUpperCase();
}

function isKey(k: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(k) && Buffer.from(k, 'base64').length >= 16;
}

export class Registry {
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'registry.json');
    const stored = readJson<{ devices: DeviceRecord[] }>(this.path, { devices: [] });
    for (const d of stored.devices) this.devices.set(d.deviceId, d);
  }

  list(): DeviceRecord[] {
    return [...this.devices.values()];
  }

  get(deviceId: string): DeviceRecord | undefined {
    return this.devices.get(deviceId);
  }

  create(input: CreateDeviceInput, provisionedBy?: string): DeviceRecord {
    if (typeof input.deviceId !== 'string' || !DEVICE_ID.test(input.deviceId)) {
      throw new RegistryError(400, 400004, `invalid device id ${JSON.stringify(input.deviceId)}`);
    }
    if (this.devices.has(input.deviceId)) throw new RegistryError(409, 409001, `device ${input.deviceId} already exists`);
    const record: DeviceRecord = {
      deviceId: input.deviceId,
      status: input.status === 'disabled' ? 'disabled' : 'enabled',
      auth: authFrom(input),
      createdAt: new Date().toISOString(),
      ...(provisionedBy ? { provisionedBy } : {}),
    };
    this.devices.set(record.deviceId, record);
    this.save();
    return record;
  }

  /** Creates the device or replaces its credentials (DPS re-provisioning). */
  upsert(input: CreateDeviceInput, provisionedBy?: string): DeviceRecord {
    const existing = this.devices.get(input.deviceId);
    if (!existing) return this.create(input, provisionedBy);
    existing.auth = authFrom(input);
    if (provisionedBy) existing.provisionedBy = provisionedBy;
    this.save();
    return existing;
  }

  setStatus(deviceId: string, status: 'enabled' | 'disabled'): DeviceRecord {
    const d = this.devices.get(deviceId);
    if (!d) throw new RegistryError(404, 404001, `device ${deviceId} not found`);
    d.status = status;
    this.save();
    return d;
  }

  delete(deviceId: string): boolean {
    const had = this.devices.delete(deviceId);
    if (had) this.save();
    return had;
  }

  private save(): void {
    writeJson(this.path, { devices: this.list() });
  }
}

function authFrom(input: CreateDeviceInput): DeviceAuth {
  if (input.primaryThumbprint) {
    const primary = normalizeThumbprint(input.primaryThumbprint);
    if (!/^([0-9A-F]{40}|[0-9A-F]{64})$/.test(primary)) throw new RegistryError(400, 400004, 'thumbprint must be a SHA-1 or SHA-256 hex digest');
    return { type: 'x509', primaryThumbprint: primary, ...(input.secondaryThumbprint ? { secondaryThumbprint: normalizeThumbprint(input.secondaryThumbprint) } : {}) };
  }
  for (const k of [input.primaryKey, input.secondaryKey]) {
    if (k !== undefined && !isKey(k)) throw new RegistryError(400, 400004, 'symmetric keys must be base64 of at least 16 bytes');
  }
  return { type: 'sas', primaryKey: input.primaryKey ?? newSymmetricKey(), secondaryKey: input.secondaryKey ?? newSymmetricKey() };
}

export function connectionString(hostName: string, device: DeviceRecord): string {
  if (device.auth.type === 'x509') return `HostName=${hostName};DeviceId=${device.deviceId};x509=true`;
  return `HostName=${hostName};DeviceId=${device.deviceId};SharedAccessKey=${device.auth.primaryKey}`;
}
