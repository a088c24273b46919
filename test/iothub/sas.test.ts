/**
 * Node-only: SAS tokens and the test HMAC checked against an independent computation with
 * node:crypto and the engine's encodeURIComponent, over generated inputs (fast-check).
 */
import { createHmac, createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Decode, base64Encode } from '../../src/iothub/base64';
import { parseConnectionString } from '../../src/iothub/connection-string';
import { buildSasToken, deriveGroupDeviceKey, dpsResourceUri, hubResourceUri, sasExpiry } from '../../src/iothub/sas';
import { Secret } from '../../src/iothub/secret';
import { urlDecode, urlEncode } from '../../src/iothub/url-encoding';
import type { Crypto } from '../../src/platform';
import { DEVICE_KEY_B64, GROUP_KEY_B64 } from './protocol.suite';
import { hmacSha256, sha256 } from './sha256';

const nodeCrypto: Crypto = {
  hmacSha256: (key, data) => new Uint8Array(createHmac('sha256', key).update(data).digest()),
};

/** The token as Azure's docs build it, from node:crypto and encodeURIComponent alone. */
function referenceToken(uri: string, keyB64: string, expiry: number, keyName?: string): string {
  const sr = encodeURIComponent(uri);
  const sig = createHmac('sha256', Buffer.from(keyB64, 'base64')).update(`${sr}\n${expiry}`).digest('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiry}` + (keyName ? `&skn=${keyName}` : '');
}

const idChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.%_*?!(),:=@$\''.split(''));
const deviceId = fc.array(idChar, { minLength: 1, maxLength: 128 }).map((a) => a.join(''));

describe('SAS against node:crypto', () => {
  it('the test SHA-256 and HMAC equal node:crypto', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 200 }), (key, data) => {
        expect(Buffer.from(sha256(data)).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
        expect(Buffer.from(hmacSha256(key, data)).toString('hex')).toBe(createHmac('sha256', key).update(data).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('device tokens equal the reference for any device id, key and expiry', () => {
    fc.assert(
      fc.property(deviceId, fc.uint8Array({ minLength: 16, maxLength: 64 }), fc.integer({ min: 1, max: 4102444800 }), (id, key, expiry) => {
        const keyB64 = Buffer.from(key).toString('base64');
        const cs = parseConnectionString(`HostName=myhub.azure-devices.net;DeviceId=${id};SharedAccessKey=${keyB64}`);
        const uri = hubResourceUri(cs.hostName, cs.deviceId);
        expect(buildSasToken(nodeCrypto, { resourceUri: uri, key: cs.sharedAccessKey!, expiry })).toBe(referenceToken(uri, keyB64, expiry));
      }),
      { numRuns: 300 },
    );
  });

  it('the fixed vectors of the shared suite are what node:crypto computes', () => {
    const uri = hubResourceUri('myhub.azure-devices.net', 'thermo-01');
    const token = buildSasToken(nodeCrypto, { resourceUri: uri, key: new Secret(base64Decode(DEVICE_KEY_B64)), expiry: 1735689600 });
    expect(token).toBe(referenceToken(uri, DEVICE_KEY_B64, 1735689600));
    const derivedB64 = createHmac('sha256', Buffer.from(GROUP_KEY_B64, 'base64')).update('thermo-42').digest('base64');
    const derived = deriveGroupDeviceKey(nodeCrypto, new Secret(base64Decode(GROUP_KEY_B64)), 'thermo-42');
    expect(base64Encode(derived.bytes())).toBe(derivedB64);
    const dpsUri = dpsResourceUri('0ne00ABCDEF', 'thermo-42');
    expect(buildSasToken(nodeCrypto, { resourceUri: dpsUri, key: derived, expiry: 1735689600, keyName: 'registration' })).toBe(
      referenceToken(dpsUri, derivedB64, 1735689600, 'registration'),
    );
  });

  it('expiry is epoch seconds plus the lifetime', () => {
    const now = Date.UTC(2025, 5, 1, 12, 0, 0, 250);
    expect(sasExpiry({ epochMs: () => now }, 3600)).toBe(Math.floor(now / 1000) + 3600);
  });
});

describe('encodings against Node builtins', () => {
  it('base64 equals Buffer for any bytes, and decodes what Buffer encodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const b64 = Buffer.from(bytes).toString('base64');
        expect(base64Encode(bytes)).toBe(b64);
        expect(Buffer.from(base64Decode(b64)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('urlEncode/urlDecode equal encodeURIComponent/decodeURIComponent for any well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        expect(urlEncode(text)).toBe(encodeURIComponent(text));
        expect(urlDecode(encodeURIComponent(text))).toBe(text);
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        let expected: string | undefined;
        try { expected = encodeURIComponent(text); } catch { expected = undefined; }
        if (expected === undefined) expect(() => urlEncode(text)).toThrow(/lone surrogate/);
        else expect(urlEncode(text)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});
