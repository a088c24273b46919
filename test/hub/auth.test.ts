// CONNECT authentication against the emulator over TLS, as a device (mqtt.js) sees it.
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceCertificate } from '../../simulator/hub/certs';
import { connect, deviceOptions, inOneHour, nextEvent, refusal, sas, startTestHub, type TestHub } from './helpers';

let t: TestHub;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  t = await startTestHub();
  keyA = t.hub.createDevice({ deviceId: 'dev-a' }).primaryKey!;
  keyB = t.hub.createDevice({ deviceId: 'dev-b' }).primaryKey!;
});
afterAll(() => t.stop());

describe('SAS authentication', () => {
  it('accepts a valid token signed with the primary or the secondary key', async () => {
    const c = await connect(deviceOptions(t.hub, 'dev-a', keyA));
    expect(c.connected).toBe(true);
    expect(t.hub.isConnected('dev-a')).toBe(true);
    await c.endAsync();
    const secondary = t.hub.device('dev-a')!.secondaryKey!;
    const c2 = await connect(deviceOptions(t.hub, 'dev-a', secondary));
    expect(c2.connected).toBe(true);
    await c2.endAsync();
  });

  it('accepts a .NET-style lower-case encoded resource URI', async () => {
    const expiry = inOneHour();
    const sr = encodeURIComponent(`${t.hub.hostName}/devices/dev-a`).toLowerCase();
    const { createHmac } = await import('node:crypto');
    const sig = createHmac('sha256', Buffer.from(keyA, 'base64')).update(`${sr}\n${expiry}`).digest('base64');
    const c = await connect(deviceOptions(t.hub, 'dev-a', keyA, { password: `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiry}` }));
    expect(c.connected).toBe(true);
    await c.endAsync();
  });

  it('refuses a bad signature with CONNACK 5', async () => {
    const wrongKey = Buffer.alloc(32, 7).toString('base64');
    const refused = nextEvent<{ returnCode: number; reason: string }>(t.hub, 'refused');
    expect(await refusal(deviceOptions(t.hub, 'dev-a', wrongKey))).toBe(5);
    expect((await refused).reason).toMatch(/signature/);
  });

  it('refuses an expired token', async () => {
    const expired = sas(`${t.hub.hostName}/devices/dev-a`, keyA, Math.floor(Date.now() / 1000) - 10);
    expect(await refusal(deviceOptions(t.hub, 'dev-a', keyA, { password: expired }))).toBe(5);
  });

  it("refuses another device's token and a wrong resource URI", async () => {
    // dev-b's valid token presented as dev-a
    const foreign = sas(`${t.hub.hostName}/devices/dev-b`, keyB, inOneHour());
    expect(await refusal(deviceOptions(t.hub, 'dev-a', keyA, { password: foreign }))).toBe(5);
    // dev-a's key, but the resource names another hub
    const wrongHub = sas(`other-hub.azure-devices.net/devices/dev-a`, keyA, inOneHour());
    expect(await refusal(deviceOptions(t.hub, 'dev-a', keyA, { password: wrongHub }))).toBe(5);
  });

  it('refuses unknown and disabled devices', async () => {
    expect(await refusal(deviceOptions(t.hub, 'nobody', keyA))).toBe(5);
    t.hub.createDevice({ deviceId: 'dev-off', primaryKey: keyA, status: 'disabled' });
    expect(await refusal(deviceOptions(t.hub, 'dev-off', keyA))).toBe(5);
    t.hub.setDeviceStatus('dev-off', 'enabled');
    const c = await connect(deviceOptions(t.hub, 'dev-off', keyA));
    const gone = new Promise<void>((r) => c.once('close', () => r()));
    t.hub.setDeviceStatus('dev-off', 'disabled');
    await gone;
    expect(t.hub.isConnected('dev-off')).toBe(false);
  });

  it('checks the username against the client id and host name', async () => {
    expect(await refusal(deviceOptions(t.hub, 'dev-a', keyA, { username: `${t.hub.hostName}/dev-b/?api-version=2021-04-12` }))).toBe(5);
    expect(await refusal(deviceOptions(t.hub, 'dev-a', keyA, { username: `elsewhere.azure-devices.net/dev-a/?api-version=2021-04-12` }))).toBe(5);
    expect(await refusal(deviceOptions(t.hub, 'dev-a', keyA, { username: 'dev-a' }))).toBe(4);
    expect(await refusal(deviceOptions(t.hub, 'dev-a', keyA, { password: 'not a token' }))).toBe(4);
    // older SDKs leave out the '?'
    const c = await connect(deviceOptions(t.hub, 'dev-a', keyA, { username: `${t.hub.hostName}/dev-a/api-version=2016-11-14` }));
    await c.endAsync();
  });

  it('closes the connection when the SAS token expires', async () => {
    const soon = Math.floor(Date.now() / 1000) + 2;
    const c = await connect(deviceOptions(t.hub, 'dev-a', keyA, { password: sas(`${t.hub.hostName}/devices/dev-a`, keyA, soon) }));
    const reason = await nextEvent<{ reason: string }>(t.hub, 'disconnected', 5000);
    expect(reason.reason).toBe('SAS token expired');
    c.end(true);
  });
});

describe('X.509 thumbprint authentication', () => {
  it('accepts the registered certificate and refuses another', async () => {
    const good = createDeviceCertificate('dev-x509');
    const other = createDeviceCertificate('dev-x509');
    t.hub.createDevice({ deviceId: 'dev-x509', primaryThumbprint: good.sha1 });
    t.hub.createDevice({ deviceId: 'dev-x509-256', primaryThumbprint: good.sha256 });
    const opts = (id: string, cert: { certPem: string; keyPem: string }) => ({ ...deviceOptions(t.hub, id, keyA), password: undefined, cert: cert.certPem, key: cert.keyPem });
    const c = await connect(opts('dev-x509', good));
    expect(t.hub.isConnected('dev-x509')).toBe(true);
    await c.endAsync();
    const c256 = await connect(opts('dev-x509-256', good));
    await c256.endAsync();
    expect(await refusal(opts('dev-x509', other))).toBe(5);
    // no certificate, no password
    expect(await refusal({ ...deviceOptions(t.hub, 'dev-x509', keyA), password: undefined })).toBe(5);
    // a SAS device cannot log in with a certificate
    expect(await refusal(opts('dev-a', good))).toBe(5);
  });
});

describe('TLS endpoint', () => {
  it('serves a certificate for localhost, 127.0.0.1 and the hub name, chained to the exported CA', async () => {
    for (const servername of ['localhost', t.hub.hostName]) {
      const socket = tlsConnect({ host: '127.0.0.1', port: t.hub.mqttPort, ca: t.hub.caPem, servername });
      await new Promise<void>((ok, fail) => {
        socket.once('secureConnect', ok);
        socket.once('error', fail);
      });
      expect(socket.authorized).toBe(true);
      expect(socket.getProtocol()).toMatch(/TLSv1\.[23]/);
      socket.destroy();
    }
    // a client that does not trust the CA fails
    const bad = tlsConnect({ host: '127.0.0.1', port: t.hub.mqttPort, servername: 'localhost' });
    await expect(new Promise((ok, fail) => { bad.once('secureConnect', ok); bad.once('error', fail); })).rejects.toThrow();
  });
});
