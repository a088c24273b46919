// Shared access signatures as IoT Hub and DPS issue and check them.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface SasToken {
  /** resource URI as it appears in the token, still URL-encoded */
  srRaw: string;
  /** resource URI decoded */
  sr: string;
  sig: string;
  se: number;
  skn?: string;
}

export function sign(base64Key: string, stringToSign: string): string {
  return createHmac('sha256', Buffer.from(base64Key, 'base64')).update(stringToSign, 'utf8').digest('base64');
}

/** Builds `SharedAccessSignature sr=...&sig=...&se=...[&skn=...]` the way the device SDKs do. */
export function createSasToken(resourceUri: string, base64Key: string, expiry: number, skn?: string): string {
  const sr = encodeURIComponent(resourceUri);
  const sig = encodeURIComponent(sign(base64Key, `${sr}\n${expiry}`));
  return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${expiry}${skn ? `&skn=${encodeURIComponent(skn)}` : ''}`;
}

/** Group enrollment key derivation: base64(HMAC-SHA256(base64decode(groupKey), registrationId)). */
export function deriveDeviceKey(groupKey: string, registrationId: string): string {
  return sign(groupKey, registrationId);
}

export function parseSasToken(text: string): SasToken | undefined {
  const prefix = 'SharedAccessSignature ';
  if (!text.startsWith(prefix)) return undefined;
  const fields = new Map<string, string>();
  for (const part of text.slice(prefix.length).split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const srRaw = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  if (srRaw === undefined || sig === undefined || se === undefined || !/^\d+$/.test(se)) return undefined;
  try {
    const skn = fields.get('skn');
    return { srRaw, sr: decodeURIComponent(srRaw), sig: decodeURIComponent(sig), se: Number(se), ...(skn ? { skn: decodeURIComponent(skn) } : {}) };
  } catch {
    return undefined;
  }
}

export type SasCheck = { ok: true; expiry: number } | { ok: false; reason: string };

/**
 * Checks a parsed token against the resource URI it must name and the keys that may have signed it.
 * Devices URL-encode the resource URI differently (encodeURIComponent, .NET's lower-case %2f, or
 * not at all in `sr`); the hub accepts a signature over any of those forms, as IoT Hub does.
 */
export function checkSasToken(token: SasToken, expectedResource: string, keys: string[], nowSeconds: number): SasCheck {
  if (normalizeResource(token.sr) !== normalizeResource(expectedResource)) return { ok: false, reason: `resource URI ${token.sr} is not ${expectedResource}` };
  if (token.se <= nowSeconds) return { ok: false, reason: `token expired at ${new Date(token.se * 1000).toISOString()}` };
  const given = Buffer.from(token.sig, 'base64');
  const encoded = encodeURIComponent(token.sr);
  const forms = new Set([token.srRaw, encoded, encoded.toLowerCase(), encodeURIComponent(token.sr.toLowerCase())]);
  for (const key of keys) {
    for (const form of forms) {
      const expected = Buffer.from(sign(key, `${form}\n${token.se}`), 'base64');
      if (expected.length === given.length && timingSafeEqual(expected, given)) return { ok: true, expiry: token.se };
    }
  }
  return { ok: false, reason: 'signature does not match the device key' };
}

// Host names compare case-insensitively; device ids are case-sensitive in IoT Hub.
function normalizeResource(uri: string): string {
  const trimmed = uri.replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  return slash < 0 ? trimmed.toLowerCase() : trimmed.slice(0, slash).toLowerCase() + trimmed.slice(slash);
}
