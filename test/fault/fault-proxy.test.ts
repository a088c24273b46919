/** The fault proxy itself, against a loopback echo server: forward, cut, stall, delay, corrupt, refuse. */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../fixtures/fault-proxy';

let echo: net.Server;
let echoPort: number;
let proxy: FaultProxy;

beforeAll(async () => {
  echo = net.createServer((s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  echoPort = await new Promise<number>((r) => echo.listen(0, '127.0.0.1', () => r((echo.address() as net.AddressInfo).port)));
  proxy = await startFaultProxy({ targetPort: echoPort, seed: 4 });
});
afterAll(async () => {
  await proxy.close();
  await new Promise((r) => echo.close(() => r(undefined)));
});

interface Client {
  socket: net.Socket;
  received: () => Buffer;
  closed: () => boolean;
}

async function client(): Promise<Client> {
  const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
  let data = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (d: Buffer) => (data = Buffer.concat([data, d])));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  await new Promise((r) => socket.once('connect', r));
  return { socket, received: () => data, closed: () => closed };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(condition: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await wait(5);
  return condition();
}

describe('fault proxy', () => {
  it('forwards both ways', async () => {
    const c = await client();
    c.socket.write('hello');
    expect(await until(() => c.received().toString() === 'hello')).toBe(true);
    c.socket.destroy();
  });

  it('cut() destroys both sides of every open connection', async () => {
    const a = await client();
    const b = await client();
    await until(() => proxy.open >= 2);
    const n = proxy.cut();
    expect(n).toBeGreaterThanOrEqual(2);
    expect(await until(() => a.closed() && b.closed())).toBe(true);
    expect(proxy.open).toBe(0);
  });

  it('stall() stops forwarding both ways without closing; new connections still flow', async () => {
    const a = await client();
    a.socket.write('one');
    await until(() => a.received().length === 3);
    proxy.stall();
    a.socket.write('two');
    await wait(150);
    expect(a.received().toString()).toBe('one');
    expect(a.closed()).toBe(false);
    const b = await client();
    b.socket.write('fresh');
    expect(await until(() => b.received().toString() === 'fresh')).toBe(true);
    a.socket.destroy();
    b.socket.destroy();
  });

  it('setDelay() holds chunks, in order', async () => {
    proxy.setDelay(120);
    const c = await client();
    const t0 = Date.now();
    c.socket.write('a');
    c.socket.write('b');
    expect(await until(() => c.received().toString() === 'ab', 3000)).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200); // up and down, 120 ms each (timer slack allowed)
    proxy.setDelay(0);
    c.socket.destroy();
  });

  it('setCorrupt() flips bits; refuse() drops new connections', async () => {
    proxy.setCorrupt(1, 'up');
    const c = await client();
    const sent = Buffer.alloc(64, 0x55);
    c.socket.write(sent);
    await until(() => c.received().length === 64);
    expect(c.received().equals(sent)).toBe(false);
    expect(proxy.stats.corruptedChunks).toBeGreaterThan(0);
    proxy.setCorrupt(0);
    c.socket.destroy();
    proxy.refuse(true);
    const r = net.connect({ host: '127.0.0.1', port: proxy.port });
    r.on('error', () => undefined);
    expect(await until(() => r.destroyed || r.closed)).toBe(true);
    expect(proxy.stats.refused).toBeGreaterThan(0);
    proxy.refuse(false);
  });
});
