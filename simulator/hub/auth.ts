// CONNECT authentication as IoT Hub does it: SAS token or X.509 thumbprint, per device identity.
import type { Registry } from './registry';
import { normalizeThumbprint } from './registry';
import { parseUsername } from './rules';
import { checkSasToken, parseSasToken } from './sas';

export interface ConnectCredentials {
  clientId: string;
  username?: string;
  password?: Buffer;
  /** thumbprints of the TLS client certificate, if the device presented one */
  peer?: { sha1: string; sha256: string };
}

export type AuthResult =
  | { ok: true; deviceId: string; method: 'sas' | 'x509'; expiry?: number }
  | { ok: false; returnCode: 2 | 4 | 5; reason: string };

/**
 * Return codes: 2 for an empty client id, 4 when the username or password cannot be read at all,
 * 5 (not authorized) for every credential that is well-formed but wrong: bad signature, expired,
 * another device's token, unknown or disabled device, certificate thumbprint mismatch.
 */
export function authenticateDevice(creds: ConnectCredentials, registry: Registry, hostName: string, nowSeconds: number): AuthResult {
  if (!creds.clientId) return { ok: false, returnCode: 2, reason: 'empty client id: the client id must be the device id' };
  const user = creds.username === undefined ? undefined : parseUsername(creds.username);
  if (!user) return { ok: false, returnCode: 4, reason: `username must be ${hostName}/${creds.clientId}/?api-version=2021-04-12` };
  if (user.hostName.toLowerCase() !== hostName.toLowerCase()) return { ok: false, returnCode: 5, reason: `username names hub ${user.hostName}, this hub is ${hostName}` };
  if (user.moduleId !== undefined) return { ok: false, returnCode: 5, reason: 'module identities are not supported by this emulator' };
  if (user.deviceId !== creds.clientId) return { ok: false, returnCode: 5, reason: `username device id ${user.deviceId} differs from client id ${creds.clientId}` };
  const device = registry.get(creds.clientId);
  if (creds.password !== undefined && creds.password.length > 0) {
    const token = parseSasToken(creds.password.toString('utf8'));
    if (!token) return { ok: false, returnCode: 4, reason: 'password is not a SharedAccessSignature token' };
    if (!device) return { ok: false, returnCode: 5, reason: `device ${creds.clientId} is not registered` };
    if (device.auth.type !== 'sas') return { ok: false, returnCode: 5, reason: `device ${device.deviceId} authenticates with an X.509 certificate` };
    if (token.skn !== undefined) return { ok: false, returnCode: 5, reason: 'shared access policies (skn) are not supported: use the device key' };
    const check = checkSasToken(token, `${hostName}/devices/${device.deviceId}`, [device.auth.primaryKey, device.auth.secondaryKey], nowSeconds);
    if (!check.ok) return { ok: false, returnCode: 5, reason: check.reason };
    if (device.status !== 'enabled') return { ok: false, returnCode: 5, reason: `device ${device.deviceId} is disabled` };
    return { ok: true, deviceId: device.deviceId, method: 'sas', expiry: check.expiry };
  }
  if (creds.peer) {
    if (!device) return { ok: false, returnCode: 5, reason: `device ${creds.clientId} is not registered` };
    if (device.auth.type !== 'x509') return { ok: false, returnCode: 5, reason: `device ${device.deviceId} authenticates with a SAS token` };
    const registered = [device.auth.primaryThumbprint, device.auth.secondaryThumbprint].filter((t): t is string => !!t).map(normalizeThumbprint);
    const presented = [normalizeThumbprint(creds.peer.sha1), normalizeThumbprint(creds.peer.sha256)];
    if (!registered.some((t) => presented.includes(t))) return { ok: false, returnCode: 5, reason: 'client certificate thumbprint does not match the device' };
    if (device.status !== 'enabled') return { ok: false, returnCode: 5, reason: `device ${device.deviceId} is disabled` };
    return { ok: true, deviceId: device.deviceId, method: 'x509' };
  }
  return { ok: false, returnCode: 5, reason: 'no SAS token and no client certificate' };
}
