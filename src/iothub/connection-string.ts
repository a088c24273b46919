/**
 * Device connection strings, as the Azure portal shows them:
 *   HostName=<hub>.azure-devices.net;DeviceId=<device id>;SharedAccessKey=<key>
 *   HostName=...;DeviceId=...;ModuleId=...;SharedAccessKey=...
 *   HostName=...;DeviceId=...;x509=true
 *   ...;GatewayHostName=edge.local   (connect through an IoT Edge gateway)
 *
 * Policy, chosen so that a typo fails loudly instead of connecting with the wrong identity:
 * - key names are matched case-insensitively (the Azure SDKs accept "hostname=" too);
 * - unknown keys, duplicate keys, empty values and segments without '=' are refused;
 * - SharedAccessKeyName (a service/policy connection string) and SharedAccessSignature
 *   (a pre-made token) are refused with a message saying so;
 * - exactly one of SharedAccessKey or x509=true; the key must be valid, non-empty base64.
 * Values are split at the first '=' (base64 keys end in '='). Errors name the key, never a
 * secret value; the parsed key is a Secret, redacted in String() and JSON.
 */
import { Base64Error, base64Decode } from './base64';
import { Secret } from './secret';

export class ConnectionStringError extends Error {
  override name = 'ConnectionStringError';
}

export interface DeviceConnectionString {
  /** The hub, e.g. myhub.azure-devices.net. Always the hub: SAS and the MQTT username use it. */
  hostName: string;
  deviceId: string;
  moduleId?: string;
  /** Where to open the TCP/TLS connection instead of hostName (IoT Edge). */
  gatewayHostName?: string;
  /** 'sas': sharedAccessKey is set. 'x509': authenticate with the TLS client certificate. */
  auth: 'sas' | 'x509';
  sharedAccessKey?: Secret;
  /** The connection string with the key redacted, safe to log. */
  toString(): string;
}

/** The canonical spelling of a known key (lower-cased input), or undefined. */
function canonicalKey(lower: string): string | undefined {
  switch (lower) {
    case 'hostname': return 'HostName';
    case 'deviceid': return 'DeviceId';
    case 'moduleid': return 'ModuleId';
    case 'sharedaccesskey': return 'SharedAccessKey';
    case 'gatewayhostname': return 'GatewayHostName';
    case 'x509': return 'x509';
    default: return undefined;
  }
}

// IoT Hub's documented character set for device and module ids (up to 128 characters).
function isIdChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ||
    '-.%_*?!(),:=@$\''.indexOf(String.fromCharCode(c)) >= 0
  );
}

function checkId(kind: string, id: string): void {
  if (id.length > 128) throw new ConnectionStringError(`${kind} is longer than 128 characters`);
  for (let i = 0; i < id.length; i++) {
    if (!isIdChar(id.charCodeAt(i))) {
      throw new ConnectionStringError(`${kind} contains a character IoT Hub does not allow at position ${i}`);
    }
  }
}

function checkHost(kind: string, host: string, needDot: boolean): void {
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46;
    if (!ok) {
      throw new ConnectionStringError(`${kind} must be a bare DNS name like myhub.azure-devices.net (no scheme, port or path)`);
    }
  }
  if (needDot && host.indexOf('.') < 0) throw new ConnectionStringError(`${kind} must be a full DNS name like myhub.azure-devices.net`);
}

export function parseConnectionString(text: string): DeviceConnectionString {
  const fields: Record<string, string> = {};
  const segments = text.split(';');
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s].trim();
    if (segment === '') continue; // tolerate a trailing ';'
    const eq = segment.indexOf('=');
    if (eq <= 0) throw new ConnectionStringError(`connection string segment ${s + 1} is not Key=Value`);
    const rawKey = segment.slice(0, eq).trim();
    const lower = rawKey.toLowerCase();
    if (lower === 'sharedaccesskeyname') {
      throw new ConnectionStringError('SharedAccessKeyName found: this is a hub (service) connection string, not a device connection string');
    }
    if (lower === 'sharedaccesssignature') {
      throw new ConnectionStringError('SharedAccessSignature connection strings (pre-made tokens) are not supported; use SharedAccessKey');
    }
    const key = canonicalKey(lower);
    if (key === undefined) throw new ConnectionStringError(`unknown connection string key "${rawKey}"`);
    if (fields[key] !== undefined) throw new ConnectionStringError(`${key} appears more than once`);
    const value = segment.slice(eq + 1).trim();
    if (value === '') throw new ConnectionStringError(`${key} is empty`);
    fields[key] = value;
  }

  const hostName = fields.HostName;
  const deviceId = fields.DeviceId;
  if (hostName === undefined) throw new ConnectionStringError('HostName is missing');
  if (deviceId === undefined) throw new ConnectionStringError('DeviceId is missing');
  checkHost('HostName', hostName, true);
  checkId('DeviceId', deviceId);
  if (fields.ModuleId !== undefined) checkId('ModuleId', fields.ModuleId);
  // A gateway may be a bare name on the local network (an IoT Edge box called "edgegateway").
  if (fields.GatewayHostName !== undefined) checkHost('GatewayHostName', fields.GatewayHostName, false);

  let x509 = false;
  if (fields.x509 !== undefined) {
    const v = fields.x509.toLowerCase();
    if (v !== 'true' && v !== 'false') throw new ConnectionStringError('x509 must be true or false');
    x509 = v === 'true';
  }
  const keyText = fields.SharedAccessKey;
  if (x509 && keyText !== undefined) {
    throw new ConnectionStringError('both SharedAccessKey and x509=true are given; choose one authentication method');
  }
  if (!x509 && keyText === undefined) {
    throw new ConnectionStringError('no authentication: give SharedAccessKey or x509=true');
  }
  let sharedAccessKey: Secret | undefined;
  if (keyText !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = base64Decode(keyText);
    } catch (e) {
      if (e instanceof Base64Error) throw new ConnectionStringError(`SharedAccessKey is not valid base64 (${e.message})`);
      throw e;
    }
    if (bytes.length === 0) throw new ConnectionStringError('SharedAccessKey is empty');
    sharedAccessKey = new Secret(bytes);
  }

  const result: DeviceConnectionString = {
    hostName,
    deviceId,
    auth: x509 ? 'x509' : 'sas',
    toString() {
      let t = `HostName=${hostName};DeviceId=${deviceId}`;
      if (this.moduleId !== undefined) t += `;ModuleId=${this.moduleId}`;
      if (this.gatewayHostName !== undefined) t += `;GatewayHostName=${this.gatewayHostName}`;
      return t + (x509 ? ';x509=true' : ';SharedAccessKey=<redacted>');
    },
  };
  if (fields.ModuleId !== undefined) result.moduleId = fields.ModuleId;
  if (fields.GatewayHostName !== undefined) result.gatewayHostName = fields.GatewayHostName;
  if (sharedAccessKey) result.sharedAccessKey = sharedAccessKey;
  return result;
}
