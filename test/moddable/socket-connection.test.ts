/**
 * The firmware's connection over a Moddable-shaped socket (hosts/moddable/socket-connection.ts):
 * writes larger than the socket's room go out whole, in order, once, resumed on WRITABLE; the
 * socket is never asked to take more than it said it would (Moddable throws "can't write all data").
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SocketConnection, SocketMessage, type CallbackSocket } from '../../hosts/moddable/socket-connection';
import type { ConnectionError } from '../../src/platform';

/** A synchronous stand-in with the SDK's contract: room `capacity` while idle, throws beyond it. */
class StrictSocket implements CallbackSocket {
  callback: (message: number, value?: number) => void = () => {};
  readonly sent: number[] = [];
  readonly writes: number[] = [];
  busy = false;
  constructor(private readonly capacity: number) {}
  read(): ArrayBuffer | undefined {
    return undefined;
  }
  write(): number;
  write(data: Uint8Array): void;
  write(data?: Uint8Array): number | void {
    const room = this.busy ? 0 : this.capacity;
    if (data === undefined) return room;
    if (data.length > room) throw new Error("can't write all data");
    this.writes.push(data.length);
    for (const b of data) this.sent.push(b);
    this.busy = true;
  }
  close(): void {}
  /** The bytes left: room is back. */
  drain(): void {
    this.busy = false;
    this.callback(SocketMessage.WRITABLE, this.capacity);
  }
}

function open(capacity: number) {
  const socket = new StrictSocket(capacity);
  const events: string[] = [];
  let closed: ConnectionError | undefined | null = null;
  const connection = new SocketConnection(() => socket, {
    onConnect: () => events.push('connect'),
    onData: () => events.push('data'),
    onWritable: () => events.push('writable'),
    onClose: (e) => {
      closed = e;
    },
  });
  socket.callback(SocketMessage.CONNECTED);
  return { socket, connection, events, closed: () => closed };
}

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe('SocketConnection over a Moddable-shaped socket', () => {
  it('splits a 1.1 KB method answer to the 896-byte room and resumes it on WRITABLE', () => {
    const { socket, connection, events } = open(896);
    const answer = pattern(1130, 7);
    expect(connection.write(answer)).toBe(false); // blocked: the rest waits for WRITABLE
    expect(socket.writes).toEqual([896]);
    socket.drain();
    expect(socket.writes).toEqual([896, 234]);
    socket.drain();
    expect(events).toEqual(['connect', 'writable']);
    expect(Uint8Array.from(socket.sent)).toEqual(answer);
  });

  it('any sizes, any room: every byte once, in order, no write over the room', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 2000 }), fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 12 }), (capacity, sizes) => {
        const { socket, connection } = open(capacity);
        const expected: number[] = [];
        const buffer = new Uint8Array(6000); // reused by the caller, as the MQTT encoder does
        sizes.forEach((n, k) => {
          buffer.set(pattern(n, k).subarray(0, n));
          connection.write(buffer.subarray(0, n));
          for (const b of pattern(n, k)) expected.push(b);
          buffer.fill(0xee); // the connection must have copied what it did not send
          if (k % 3 === 0) socket.drain();
        });
        while (socket.busy) socket.drain();
        expect(socket.sent).toEqual(expected);
        expect(Math.max(0, ...socket.writes)).toBeLessThanOrEqual(capacity);
        expect(connection.queuedBytes).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('an exception from a handler ends the connection instead of escaping into the SDK', async () => {
    const socket = new StrictSocket(896);
    let closed: ConnectionError | undefined;
    new SocketConnection(() => socket, {
      onConnect: () => {
        throw new Error('boom');
      },
      onData: () => {},
      onClose: (e) => {
        closed = e;
      },
    });
    expect(() => socket.callback(SocketMessage.CONNECTED)).not.toThrow();
    expect(closed?.code).toBe('ECONNRESET');
    expect(closed?.message).toMatch(/boom/);
  });
});

describe('closed sockets', () => {
  it('stay referenced by the connection after a disconnect from the peer (mcsim crashed when GC freed them inside the callback)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    /** SecureSocket's shape: close() deletes its TCP socket, as the SDK's does. */
    class SecureLike extends StrictSocket {
      sock?: object = {};
      override close(): void {
        delete this.sock;
      }
    }
    let closedTcp: WeakRef<object> | undefined;
    let closedSecure: WeakRef<object> | undefined;
    const connection = (() => {
      const socket = new SecureLike(896);
      closedTcp = new WeakRef(socket.sock as object);
      closedSecure = new WeakRef(socket);
      const c = new SocketConnection(() => socket, { onConnect: () => {}, onData: () => {}, onClose: () => {} });
      socket.callback(SocketMessage.CONNECTED);
      socket.callback(SocketMessage.DISCONNECTED);
      return c;
    })();
    // A WeakRef keeps its target until the end of the job that made it: collect in a later one.
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(closedTcp?.deref(), 'the TCP socket SecureSocket.close() deleted').toBeDefined();
    expect(closedSecure?.deref()).toBeDefined();
    expect(connection.queuedBytes).toBe(0);
  });
});
