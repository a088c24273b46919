/**
 * A WebSocket server in memory, platform-neutral (runs in Node and in XS): it plays the inner
 * Network under a WebSocketNetwork. The test drives it step by step: open() fires onConnect,
 * the client's handshake is read and answered (or a crafted answer sent), the client's frames
 * are unmasked with the project's own decoder in server mode, and raw bytes can be sent to
 * the client in any split.
 */
import type { Connection, ConnectionError, ConnectionHandlers, ConnectOptions, Network } from '../../src/platform';
import { FrameDecoder } from '../../src/websocket/decoder';
import { encodeFrame, headerLength } from '../../src/websocket/frame';
import { acceptFor } from '../../src/websocket/handshake';

export interface ServerFrame {
  kind: 'data' | 'ping' | 'pong' | 'close' | 'error';
  bytes: number[];
  code?: number;
}

export class FakeServer implements Network {
  handlers: ConnectionHandlers | undefined;
  options: ConnectOptions | undefined;
  request = '';
  /** Payload bytes the client sent in binary frames, in order. */
  received: number[] = [];
  /** Every frame event seen from the client (data merged into `received`). */
  events: ServerFrame[] = [];
  /** Raw bytes written by the client, per write. */
  writes: Uint8Array[] = [];
  closedByClient = false;
  private headDone = false;
  private readonly decoder = new FrameDecoder(
    {
      onData: (b) => {
        for (let i = 0; i < b.length; i++) this.received.push(b[i]);
      },
      onPing: (p) => this.events.push({ kind: 'ping', bytes: Array.from(p) }),
      onPong: (p) => this.events.push({ kind: 'pong', bytes: Array.from(p) }),
      onClose: (code) => this.events.push({ kind: 'close', bytes: [], code }),
      onError: (code) => this.events.push({ kind: 'error', bytes: [], code }),
    },
    { masked: true },
  );

  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    this.options = options;
    this.handlers = handlers;
    return {
      write: (data) => {
        const copy = data.slice();
        this.writes.push(copy);
        if (!this.headDone) {
          for (let i = 0; i < copy.length; i++) this.request += String.fromCharCode(copy[i]);
          if (this.request.endsWith('\r\n\r\n')) this.headDone = true;
        } else {
          this.decoder.push(copy);
        }
        return true;
      },
      close: () => {
        this.closedByClient = true;
      },
    };
  }

  open(): void {
    this.handlers!.onConnect();
  }

  /** The request's header value (first match, case-insensitive name). */
  header(name: string): string | undefined {
    for (const line of this.request.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).toLowerCase() === name.toLowerCase()) return line.slice(colon + 1).trim();
    }
    return undefined;
  }

  /** The 101 answer IoT Hub gives, as bytes, optionally followed by `extra` bytes (first frames). */
  accept(extra: number[] = [], protocol = 'mqtt'): number[] {
    const text =
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${acceptFor(this.header('sec-websocket-key') ?? '')}\r\n` +
      (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') +
      '\r\n';
    const bytes: number[] = [];
    for (let i = 0; i < text.length; i++) bytes.push(text.charCodeAt(i));
    for (const b of extra) bytes.push(b);
    return bytes;
  }

  /** Sends `bytes` to the client in pieces of `piece` bytes (0: one piece). */
  send(bytes: number[], piece = 0): void {
    const all = Uint8Array.from(bytes);
    const step = piece > 0 ? piece : Math.max(1, all.length);
    for (let at = 0; at < all.length; at += step) this.handlers!.onData(all.subarray(at, Math.min(all.length, at + step)));
  }

  end(error?: ConnectionError): void {
    this.handlers!.onClose(error);
  }
}

/** One unmasked server frame as bytes. */
export function serverFrame(opcode: number, payload: number[], fin = true): number[] {
  const p = Uint8Array.from(payload);
  const out = new Uint8Array(headerLength(p.length, false) + p.length);
  const n = encodeFrame(out, opcode, p, 0, p.length, undefined, fin);
  return Array.from(out.subarray(0, n));
}

/** A deterministic Random (xorshift32) for masks and keys. */
export function seededRandom(seed: number): { next(): number } {
  let s = seed >>> 0 || 1;
  return {
    next() {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s / 0x100000000;
    },
  };
}
