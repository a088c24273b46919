/** hosts/node/network.ts against real mosquitto listeners: TCP, TLS, and the error codes callers rely on. */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeNetwork } from '../../hosts/node/network';
import type { ConnectionError, ConnectOptions } from '../../src/platform';
import { freePort, startMosquitto, type Mosquitto } from '../fixtures/mosquitto';

let broker: Mosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
});

// CONNECT, MQTT 3.1.1, clean session, keepalive 60, client id "n1".
const CONNECT = new Uint8Array([0x10, 0x0e, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x02, 0x6e, 0x31]);

interface Outcome {
  connected: boolean;
  data: Uint8Array[];
  error: ConnectionError | undefined;
  closes: number;
}

/** Connects, sends CONNECT once up, closes after `closeAfterBytes` bytes arrived; resolves on onClose. */
function session(network: NodeNetwork, options: ConnectOptions, closeAfterBytes = 4): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { connected: false, data: [], error: undefined, closes: 0 };
    let received = 0;
    const conn = network.connect(options, {
      onConnect() {
        outcome.connected = true;
        const buf = CONNECT.slice();
        conn.write(buf);
        buf.fill(0); // the host must have copied it
      },
      onData(data) {
        outcome.data.push(data.slice());
        expect(Object.getPrototypeOf(data)).toBe(Uint8Array.prototype);
        received += data.length;
        if (received >= closeAfterBytes) conn.close();
      },
      onClose(error) {
        outcome.closes++;
        outcome.error = error;
        setTimeout(() => resolve(outcome), 50);
      },
    });
  });
}

const concat = (parts: Uint8Array[]) => Array.from(parts.flatMap((p) => Array.from(p)));

describe('NodeNetwork', () => {
  it('plain TCP: delivers the CONNACK as Uint8Array, local close reports no error', async () => {
    const out = await session(new NodeNetwork(), { host: broker.host, port: broker.plainPort });
    expect(out.connected).toBe(true);
    expect(concat(out.data)).toEqual([0x20, 0x02, 0x00, 0x00]);
    expect(out.error).toBeUndefined();
    expect(out.closes).toBe(1);
  });

  it('TLS with the right CA and the IP as name succeeds', async () => {
    const out = await session(new NodeNetwork(), { host: broker.host, port: broker.tlsPort, tls: { ca: [broker.caPem] } });
    expect(concat(out.data)).toEqual([0x20, 0x02, 0x00, 0x00]);
    expect(out.error).toBeUndefined();
  });

  it('TLS with serverName localhost (SNI) succeeds', async () => {
    const out = await session(new NodeNetwork(), { host: broker.host, port: broker.tlsPort, tls: { ca: [broker.caPem], serverName: 'localhost' } });
    expect(concat(out.data)).toEqual([0x20, 0x02, 0x00, 0x00]);
  });

  it('TLS with an unrelated CA fails with TLS_CERT_UNTRUSTED before onConnect', async () => {
    const out = await session(new NodeNetwork(), { host: broker.host, port: broker.tlsPort, tls: { ca: [broker.wrongCaPem] } });
    expect(out.connected).toBe(false);
    expect(out.error?.code).toBe('TLS_CERT_UNTRUSTED');
  });

  it('TLS with the default trust store (no CA given) rejects the test CA', async () => {
    const out = await session(new NodeNetwork(), { host: broker.host, port: broker.tlsPort, tls: {} });
    expect(out.connected).toBe(false);
    expect(out.error?.code).toBe('TLS_CERT_UNTRUSTED');
  });

  it('TLS with a name the certificate does not carry fails with TLS_HOSTNAME', async () => {
    const out = await session(new NodeNetwork(), { host: broker.host, port: broker.tlsPort, tls: { ca: [broker.caPem], serverName: 'wrong.example' } });
    expect(out.connected).toBe(false);
    expect(out.error?.code).toBe('TLS_HOSTNAME');
    expect(out.error?.message).toMatch(/wrong\.example/);
  });

  it('TLS with a client certificate passes a listener that requires one (X.509 auth)', async () => {
    const out = await session(new NodeNetwork(), {
      host: broker.host,
      port: broker.mtlsPort,
      tls: { ca: [broker.caPem], cert: broker.clientCertPem, key: broker.clientKeyPem },
    });
    expect(concat(out.data)).toEqual([0x20, 0x02, 0x00, 0x00]);
    expect(out.error).toBeUndefined();
  });

  it('TLS without a client certificate is refused by that listener with TLS_CLIENT_CERT_REQUIRED', async () => {
    const out = await session(new NodeNetwork({ connectTimeoutMs: 3000 }), { host: broker.host, port: broker.mtlsPort, tls: { ca: [broker.caPem] } });
    expect(out.data).toEqual([]);
    // TLS 1.3: the server's alert arrives after the client considers the handshake done.
    expect(out.error?.code).toBe('TLS_CLIENT_CERT_REQUIRED');
  });

  it('a closed port fails with ECONNREFUSED', async () => {
    const port = await freePort();
    const out = await session(new NodeNetwork(), { host: '127.0.0.1', port });
    expect(out.connected).toBe(false);
    expect(out.error?.code).toBe('ECONNREFUSED');
  });

  it('a server that never completes the TLS handshake fails with TIMEOUT', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const started = Date.now();
    const out = await session(new NodeNetwork({ connectTimeoutMs: 300 }), { host: '127.0.0.1', port, tls: { ca: [broker.caPem] } });
    expect(out.error?.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    sockets.forEach((s) => s.destroy());
    silent.close();
  });

  it('a peer that closes reports CLOSED', async () => {
    // mosquitto closes the connection when the first packet is not CONNECT.
    const out = await new Promise<Outcome>((resolve) => {
      const outcome: Outcome = { connected: false, data: [], error: undefined, closes: 0 };
      const conn = new NodeNetwork().connect({ host: broker.host, port: broker.plainPort }, {
        onConnect() {
          outcome.connected = true;
          conn.write(new Uint8Array([0xc0, 0x00])); // PINGREQ before CONNECT
        },
        onData(d) {
          outcome.data.push(d.slice());
        },
        onClose(error) {
          outcome.error = error;
          resolve(outcome);
        },
      });
    });
    expect(out.connected).toBe(true);
    expect(['CLOSED', 'ECONNRESET']).toContain(out.error?.code);
  });
});
