/**
 * TLS on the Node host (hosts/node/network) and in the hub client's defaults: verification on
 * by default, an unknown CA or a wrong host name fails with a clear code and nothing falls back
 * to an insecure connection, and a server that only speaks TLS 1.1 is refused. Loopback only.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeNetwork } from '../../hosts/node/network';
import { nodeClock, nodeCrypto, nodeTimers } from '../../hosts/node/host';
import { HubClient } from '../../src/iothub/hub-client';
import { rootCaPems } from '../../src/iothub/root-cas';
import type { MqttClientOptions } from '../../src/mqtt/client';
import { MqttClient } from '../../src/mqtt/client';
import type { ConnectionError, TlsOptions } from '../../src/platform';
import { makeCertificates, startMosquitto, type Mosquitto } from '../fixtures/mosquitto';
import { seededRandom } from '../soak/rng';

let broker: Mosquitto;
let dir: string;
let certs: ReturnType<typeof makeCertificates>;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-sec-'));
  certs = makeCertificates(dir);
});
afterAll(async () => {
  await broker?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Opens one connection and resolves with 'connected' or the close error's code. */
function attempt(host: string, port: number, t: TlsOptions | undefined): Promise<{ result: string; error?: ConnectionError }> {
  return new Promise((resolve) => {
    const conn = new NodeNetwork({ connectTimeoutMs: 5000 }).connect(
      { host, port, tls: t },
      {
        onConnect: () => {
          conn.close();
          resolve({ result: 'connected' });
        },
        onData: () => undefined,
        onClose: (error) => resolve({ result: error?.code ?? 'closed', error }),
      },
    );
  });
}

describe('security: TLS on the Node host', () => {
  it('the right CA and name connect (positive control)', async () => {
    expect((await attempt('127.0.0.1', broker.tlsPort, { ca: [broker.caPem] })).result).toBe('connected');
    expect((await attempt('127.0.0.1', broker.tlsPort, { ca: [broker.caPem], serverName: 'localhost' })).result).toBe('connected');
  });

  it('verification is on by default: the system trust store does not know the test CA', async () => {
    const r = await attempt('127.0.0.1', broker.tlsPort, {});
    expect(r.result).toBe('TLS_CERT_UNTRUSTED');
    expect(r.error?.message).toMatch(/certificate/i);
  });

  it('a wrong CA fails clearly', async () => {
    const r = await attempt('127.0.0.1', broker.tlsPort, { ca: [broker.wrongCaPem] });
    expect(r.result).toBe('TLS_CERT_UNTRUSTED');
  });

  it('a wrong host name fails clearly, with the right CA', async () => {
    const r = await attempt('127.0.0.1', broker.tlsPort, { ca: [broker.caPem], serverName: 'evil.example.com' });
    expect(r.result).toBe('TLS_HOSTNAME');
    expect(r.error?.message).toMatch(/evil\.example\.com|altnames|Hostname/i);
  });

  it('the MQTT client never falls back: every attempt fails the same way and no CONNECT reaches the broker', async () => {
    const errors: string[] = [];
    let connected = false;
    const client = new MqttClient(
      { host: '127.0.0.1', port: broker.tlsPort, tls: { ca: [broker.wrongCaPem] }, clientId: 'no-fallback-probe', backoff: { minMs: 20, maxMs: 40 } },
      { clock: nodeClock, timers: nodeTimers, network: new NodeNetwork({ connectTimeoutMs: 3000 }), random: seededRandom(1) },
      { onError: (e) => errors.push(e.code), onConnected: () => (connected = true) },
    );
    client.start();
    const end = Date.now() + 10_000;
    while (errors.length < 5 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    client.close();
    expect(connected).toBe(false);
    expect(errors.length).toBeGreaterThanOrEqual(5);
    expect(new Set(errors)).toEqual(new Set(['TLS_CERT_UNTRUSTED']));
    expect(broker.log()).not.toContain('no-fallback-probe');
  });

  it('a server that offers only TLS 1.1 is refused (while a client that allows 1.1 gets through)', async () => {
    // OpenSSL 3 disables TLS 1.1 at security level 1+; level 0 lets the server really offer it.
    const server = tls.createServer({
      cert: fs.readFileSync(certs.cert),
      key: fs.readFileSync(certs.key),
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    const established: string[] = [];
    server.on('secureConnection', (s) => {
      established.push(String(s.getProtocol()));
      s.end();
    });
    server.on('tlsClientError', () => undefined);
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    try {
      // Positive control: the server does speak TLS 1.1 to a client that permits it.
      const legacy = await new Promise<string>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca: [certs.caPem], minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, () => {
          resolve(String(s.getProtocol()));
          s.destroy();
        });
        s.on('error', (e) => resolve(`error: ${e.message}`));
      });
      expect(legacy).toBe('TLSv1.1');
      // Our host refuses it, with the right CA and name, even when asked for nothing special.
      const r = await attempt('127.0.0.1', port, { ca: [certs.caPem] });
      expect(r.result).toBe('TLS_HANDSHAKE');
      expect(r.error?.message).toMatch(/protocol|version/i);
      expect(established).toEqual(['TLSv1.1']); // only the control connection was ever established
    } finally {
      await new Promise((r) => server.close(() => r(undefined)));
    }
  });
});

describe('security: the hub client TLS defaults', () => {
  function optionsFor(endpoint?: ConstructorParameters<typeof HubClient>[0]['endpoint']): MqttClientOptions {
    let captured: MqttClientOptions | undefined;
    new HubClient(
      {
        connectionString: `HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=${Buffer.alloc(32, 1).toString('base64')}`,
        endpoint,
        mqtt: (o, e) => {
          captured = o;
          return new MqttClient(o, { clock: nodeClock, timers: nodeTimers, network: new NodeNetwork(), random: seededRandom(1) }, e);
        },
      },
      { clock: nodeClock, timers: nodeTimers, network: new NodeNetwork(), random: seededRandom(1), crypto: nodeCrypto },
    );
    if (!captured) throw new Error('no MQTT options');
    return captured;
  }

  it('TLS with the bundled IoT Hub roots and TLS 1.2 minimum unless told otherwise', () => {
    const o = optionsFor();
    expect(o.port).toBe(8883);
    expect(o.tls?.minVersion).toBe('TLSv1.2');
    expect(o.tls?.ca).toEqual(rootCaPems());
    expect(o.tls?.ca?.length).toBeGreaterThanOrEqual(2);
    // Overriding the CA keeps verification and the protocol floor.
    const custom = optionsFor({ tls: { ca: ['PEM'] } });
    expect(custom.tls).toMatchObject({ ca: ['PEM'], minVersion: 'TLSv1.2' });
  });

  it('against a server the bundled roots do not vouch for, the hub client fails with TLS_CERT_UNTRUSTED', async () => {
    const errors: string[] = [];
    let connected = false;
    const client = new HubClient(
      {
        connectionString: `HostName=127.0.0.1;DeviceId=d;SharedAccessKey=${Buffer.alloc(32, 1).toString('base64')}`,
        endpoint: { port: broker.tlsPort },
        backoff: { minMs: 50, maxMs: 100 },
      },
      { clock: nodeClock, timers: nodeTimers, network: new NodeNetwork({ connectTimeoutMs: 3000 }), random: seededRandom(1), crypto: nodeCrypto },
      { onError: (e) => errors.push(e.code), onConnected: () => (connected = true) },
    );
    client.start();
    const end = Date.now() + 10_000;
    while (errors.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    client.close();
    expect(connected).toBe(false);
    expect(errors[0]).toBe('TLS_CERT_UNTRUSTED');
    expect(new Set(errors)).toEqual(new Set(['TLS_CERT_UNTRUSTED']));
  });
});
