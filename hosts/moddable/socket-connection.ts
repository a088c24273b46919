/**
 * A Connection (src/platform) over a socket with Moddable's callback shape: the `socket` and
 * `securesocket` modules on the device and in the simulator, and the test network that imitates
 * them on Node (test/fixtures/moddable-socket.ts). No SDK import here, so both run this code.
 *
 * The Moddable socket contract it respects (modules/network/socket, modules/crypt/securesocket):
 * `write()` without arguments answers how many bytes it takes now (SecureSocket: its TLS record
 * room less 128 bytes of overhead; 896 bytes on the Linux simulator); `write(data)` with more
 * than that throws "can't write all data"; `callback(WRITABLE, n)` says room is back. So each
 * write is split to the room there is and the rest is resumed from the writable callback, in
 * order and once: writes of any size up to the protocol limits (IoT Hub D2C 256 KB) go out whole.
 */
import type { Connection, ConnectionError, ConnectionHandlers } from '../../src/platform';

/** Moddable socket callback messages (modules/network/socket). */
export const SocketMessage = Object.freeze({ ERROR: -2, DISCONNECTED: -1, CONNECTED: 1, READABLE: 2, WRITABLE: 3 });

/** The shape Moddable's Socket and SecureSocket share (their SDK typings differ in detail). */
export interface CallbackSocket {
  callback: (message: number, value?: number) => void;
  read(type: typeof ArrayBuffer): ArrayBuffer | undefined;
  /** Writes `data` (a view: exactly its bytes); throws when it exceeds write(). */
  write(data: Uint8Array): void;
  /** Bytes that write(data) takes now. */
  write(): number;
  close(): void;
  /** SecureSocket's TCP socket (deleted by its close()); absent on a plain socket. */
  readonly sock?: unknown;
}

export class SocketConnection implements Connection {
  private socket: CallbackSocket | undefined;
  /** Bytes not yet taken by the socket, oldest first; `headOffset` bytes of the first are sent. */
  private readonly pending: Uint8Array[] = [];
  private headOffset = 0;
  private connected = false;
  private closed = false;
  private blocked = false;
  /** The closed socket objects, kept alive as long as this connection (finish says why). */
  private readonly retired: unknown[] = [];

  /** `open` makes the socket (it may throw: the failure is reported through onClose). */
  constructor(open: () => CallbackSocket, private readonly handlers: ConnectionHandlers) {
    try {
      this.socket = open();
    } catch (e) {
      this.socket = undefined;
      this.finishLater({ code: 'ECONNREFUSED', message: String(e) });
      return;
    }
    this.socket.callback = (message) => this.onMessage(message);
  }

  /** Bytes queued and not yet taken by the socket. */
  get queuedBytes(): number {
    let n = 0;
    for (const chunk of this.pending) n += chunk.length;
    return n - this.headOffset;
  }

  write(data: Uint8Array): boolean {
    if (this.closed || !this.socket) return false;
    if (data.length === 0) return !this.blocked;
    let sent = 0;
    if (this.connected && this.pending.length === 0) sent = this.writeSome(data, 0);
    // The caller reuses its buffer: keep a copy of what the socket has not taken.
    if (sent < data.length) this.pending.push(data.slice(sent));
    this.blocked = this.pending.length > 0;
    return !this.blocked;
  }

  close(): void {
    if (this.closed) return;
    this.finishLater({ code: 'CLOSED', message: 'closed by the application' });
  }

  private onMessage(message: number): void {
    if (this.closed || !this.socket) return;
    try {
      switch (message) {
        case SocketMessage.CONNECTED:
          this.connected = true;
          this.handlers.onConnect();
          this.flush();
          break;
        case SocketMessage.READABLE: {
          const bytes = this.socket.read(ArrayBuffer);
          if (bytes && bytes.byteLength) this.handlers.onData(new Uint8Array(bytes));
          break;
        }
        case SocketMessage.WRITABLE:
          this.flush();
          if (this.blocked && this.pending.length === 0) {
            this.blocked = false;
            this.handlers.onWritable?.();
          }
          break;
        case SocketMessage.DISCONNECTED:
          this.finish({ code: this.connected ? 'ECONNRESET' : 'ECONNREFUSED', message: 'disconnected' });
          break;
        default:
          // SecureSocket reports certificate and handshake failures as a plain error.
          this.finish({ code: this.connected ? 'ECONNRESET' : 'TLS_OR_CONNECT_FAILED', message: `socket error ${message}` });
          break;
      }
    } catch (e) {
      // A handler or the socket threw: end this connection cleanly instead of letting the
      // exception escape into the SDK's socket callback (an unhandled exception aborts XS).
      this.finish({ code: 'ECONNRESET', message: `connection failed: ${String(e)}` });
    }
  }

  /** Writes as much of data[from..] as the socket takes now, never more; returns the new offset. */
  private writeSome(data: Uint8Array, from: number): number {
    const socket = this.socket;
    if (!socket) return from;
    const room = socket.write();
    if (room <= 0) return from;
    const end = data.length - from <= room ? data.length : from + room;
    socket.write(from === 0 && end === data.length ? data : data.subarray(from, end));
    return end;
  }

  /** Sends queued bytes in pieces the socket can take now, resuming where the last write stopped. */
  private flush(): void {
    while (this.socket && this.pending.length > 0) {
      const head = this.pending[0]!;
      const offset = this.writeSome(head, this.headOffset);
      if (offset === this.headOffset) return; // no room: wait for WRITABLE
      if (offset < head.length) {
        this.headOffset = offset;
        return;
      }
      this.pending.shift();
      this.headOffset = 0;
    }
  }

  private finish(error: ConnectionError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    const socket = this.socket;
    this.socket = undefined;
    // Keep the closed socket objects (SecureSocket and the TCP socket it deletes in close()) as
    // long as this connection: the SDK's Linux socket (modules/network/socket/lin, 8.2.3) still
    // uses the TCP socket object after its disconnect callback returns, and if garbage collection
    // freed it during the callback (close() made it unreachable), the simulator crashed (a
    // segfault in fxBufferFrameName: a host error thrown with no frame, seen after every
    // "ECONNRESET: disconnected"). The objects go when the connection does.
    this.retired.push(socket, socket?.sock);
    this.pending.length = 0;
    this.headOffset = 0;
    try {
      socket?.close();
    } catch {
      /* already closed by the peer */
    }
    this.handlers.onClose(error);
  }

  private finishLater(error: ConnectionError): void {
    // onClose must follow asynchronously (Connection.close contract).
    Promise.resolve().then(() => this.finish(error));
  }
}
