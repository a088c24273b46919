// Pure pieces of the emulator: property bags, usernames, SAS tokens, the persisted stores.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../simulator/hub/registry';
import { classifyDevicePublish, formatPropertyBag, parsePropertyBag, parseUsername } from '../../simulator/hub/rules';
import { checkSasToken, createSasToken, parseSasToken } from '../../simulator/hub/sas';
import { TwinStore } from '../../simulator/hub/twin-store';
import { sas } from './helpers';

describe('property bags', () => {
  it('round-trip any names and values, including null and empty', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.option(fc.string(), { nil: null })), (props) => {
        expect(parsePropertyBag(formatPropertyBag(props))).toEqual(props);
      }),
    );
  });

  it('keeps a property named __proto__ as data (regression: it used to set the prototype)', () => {
    const parsed = parsePropertyBag('__proto__&constructor=x');
    expect(Object.keys(parsed)).toEqual(['__proto__', 'constructor']);
    expect(parsed['__proto__']).toBeNull();
    expect(parsed['constructor']).toBe('x');
  });

  it('reads the documented forms', () => {
    expect(parsePropertyBag('?prop1&prop2=&prop3=a%20string')).toEqual({ prop1: null, prop2: '', prop3: 'a string' });
    expect(classifyDevicePublish('d', 'devices/d/messages/events/%24.ct=application%2Fjson&x=1')).toEqual({ kind: 'telemetry', properties: { '$.ct': 'application/json', x: '1' } });
    expect(classifyDevicePublish('d', '$iothub/methods/res/200/?$rid=ab')).toEqual({ kind: 'method-response', status: 200, rid: 'ab' });
    expect(classifyDevicePublish('d', '$iothub/twin/GET/?foo=1')).toBeUndefined();
    expect(classifyDevicePublish('d', 'devices/e/messages/events/')).toBeUndefined();
  });
});

describe('usernames', () => {
  it('accepts the documented and the older form', () => {
    expect(parseUsername('h.azure-devices.net/dev/?api-version=2021-04-12')).toMatchObject({ hostName: 'h.azure-devices.net', deviceId: 'dev' });
    expect(parseUsername('h.azure-devices.net/dev/api-version=2016-11-14&DeviceClientType=x')).toMatchObject({ hostName: 'h.azure-devices.net', deviceId: 'dev' });
    expect(parseUsername('dev')).toBeUndefined();
  });
});

describe('SAS tokens', () => {
  const key = Buffer.alloc(32, 9).toString('base64');
  it('agree with an independent signer and check expiry and resource', () => {
    const expiry = 2_000_000_000;
    const token = createSasToken('h/devices/d', key, expiry);
    expect(token).toBe(sas('h/devices/d', key, expiry));
    const parsed = parseSasToken(token)!;
    expect(checkSasToken(parsed, 'h/devices/d', [key], expiry - 1)).toEqual({ ok: true, expiry });
    expect(checkSasToken(parsed, 'H/devices/d', [key], expiry - 1).ok).toBe(true);
    expect(checkSasToken(parsed, 'h/devices/D', [key], expiry - 1).ok).toBe(false);
    expect(checkSasToken(parsed, 'h/devices/d', [key], expiry).ok).toBe(false);
    expect(checkSasToken(parsed, 'h/devices/d', [Buffer.alloc(32, 1).toString('base64')], 0).ok).toBe(false);
    expect(parseSasToken('SharedAccessSignature sr=a&sig=b')).toBeUndefined();
  });
});

describe('persistence', () => {
  it('keeps devices and twin versions across instances', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-store-'));
    try {
      const reg = new Registry(dir);
      const d = reg.create({ deviceId: 'p1' });
      const twins = new TwinStore(dir);
      expect(twins.patch('p1', 'reported', { a: 1 })).toBe(2);
      expect(new Registry(dir).get('p1')).toEqual(d);
      expect(new TwinStore(dir).deviceView('p1').reported).toEqual({ a: 1, $version: 2 });
      expect(() => twins.patch('p1', 'desired', [1])).toThrow(/JSON object/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
