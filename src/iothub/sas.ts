/**
 * Shared access signatures (SAS) for IoT Hub and the Device Provisioning Service.
 *
 *   signing string = urlencode(resourceUri) + "\n" + expiry
 *   sig            = base64(HMAC-SHA256(base64decode(key), signing string))
 *   token          = SharedAccessSignature sr={urlencode(resourceUri)}&sig={urlencode(sig)}&se={expiry}[&skn={keyName}]
 *
 * `sr` carries the URL-encoded resource URI, as Azure's own SDKs and the IoT Hub docs'
 * token generators do. HMAC comes from the host (platform Crypto); time from its epoch clock.
 */
import type { Clock, Crypto } from '../platform';
import { base64Encode } from './base64';
import { Secret } from './secret';
import { urlEncode } from './url-encoding';
import { encodeUtf8 } from '../text/utf8';

export class SasError extends Error {
  override name = 'SasError';
}

/** Default token lifetime: one hour, renewed at 80%. */
export const DEFAULT_SAS_LIFETIME_S = 3600;
/** Renewal point as a fraction of the lifetime (the Azure SDKs' established practice). */
export const SAS_RENEWAL_FRACTION = 0.8;
/**
 * Epoch times before this (2024-01-01T00:00:00Z) mean an unsynced clock: an RTC that booted at
 * 1970 would otherwise produce tokens that expired decades ago, and a hub that just says
 * "not authorized".
 */
export const EARLIEST_PLAUSIBLE_EPOCH_MS = 1704067200000;

/** `{hostName}/devices/{deviceId}` or `.../modules/{moduleId}`: what a device token grants. */
export function hubResourceUri(hostName: string, deviceId: string, moduleId?: string): string {
  const device = `${hostName}/devices/${deviceId}`;
  return moduleId === undefined ? device : `${device}/modules/${moduleId}`;
}

/** `{idScope}/registrations/{registrationId}`: what a DPS registration token grants. */
export function dpsResourceUri(idScope: string, registrationId: string): string {
  return `${idScope}/registrations/${registrationId}`;
}

export function sasSigningString(resourceUri: string, expiry: number): string {
  return `${urlEncode(resourceUri)}\n${expiry}`;
}

function checkExpiry(expiry: number): void {
  if (!Number.isInteger(expiry) || expiry <= 0) throw new SasError('SAS expiry must be a positive integer (Unix seconds)');
}

/** base64(HMAC-SHA256(key, signing string)). */
export function sasSignature(crypto: Crypto, key: Secret, resourceUri: string, expiry: number): string {
  checkExpiry(expiry);
  return base64Encode(crypto.hmacSha256(key.bytes(), encodeUtf8(sasSigningString(resourceUri, expiry))));
}

export interface SasTokenOptions {
  resourceUri: string;
  key: Secret;
  /** Unix seconds at which the token stops being accepted. */
  expiry: number;
  /** Policy name: `skn=`. Device keys have none; DPS registrations use "registration". */
  keyName?: string;
}

export function buildSasToken(crypto: Crypto, options: SasTokenOptions): string {
  const sig = sasSignature(crypto, options.key, options.resourceUri, options.expiry);
  let token = `SharedAccessSignature sr=${urlEncode(options.resourceUri)}&sig=${urlEncode(sig)}&se=${options.expiry}`;
  if (options.keyName !== undefined) token += `&skn=${urlEncode(options.keyName)}`;
  return token;
}

/**
 * Expiry (Unix seconds) for a token made now with `lifetimeS`. Throws SasError while the
 * host's real-time clock is not synced.
 */
export function sasExpiry(clock: Pick<Clock, 'epochMs'>, lifetimeS = DEFAULT_SAS_LIFETIME_S): number {
  if (!Number.isInteger(lifetimeS) || lifetimeS < 60) throw new SasError('SAS lifetime must be a whole number of seconds, at least 60');
  const epochMs = clock.epochMs();
  if (epochMs === undefined || epochMs < EARLIEST_PLAUSIBLE_EPOCH_MS) {
    throw new SasError('the real-time clock is not synchronized (sync time, e.g. SNTP, before connecting): SAS tokens need it');
  }
  return Math.floor(epochMs / 1000) + lifetimeS;
}

/** Milliseconds after issuing a token of `lifetimeS` at which to renew it (80%). */
export function sasRenewalDelayMs(lifetimeS = DEFAULT_SAS_LIFETIME_S): number {
  return Math.floor(lifetimeS * SAS_RENEWAL_FRACTION * 1000);
}

/**
 * Group enrollment (DPS): the device's key is base64(HMAC-SHA256(base64decode(groupKey),
 * registrationId)); returned as a Secret ready for signing (its bytes are the HMAC output,
 * i.e. the base64-decoded form of the derived key).
 */
export function deriveGroupDeviceKey(crypto: Crypto, groupKey: Secret, registrationId: string): Secret {
  return new Secret(crypto.hmacSha256(groupKey.bytes(), encodeUtf8(registrationId)));
}
