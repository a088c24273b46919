import { Socket } from 'socket';
import SecureSocket from 'securesocket';
import Resource from 'Resource';
import type { Connection, ConnectionError, ConnectionHandlers, ConnectOptions, Network } from '../../src/platform';

/** Moddable socket callback messages (modules/network/socket). */
const ERROR = -2;
const DISCONNECTED = -1;
const CONNECTED = 1;
const READABLE = 2;
const WRITABLE = 3;

/** TLS 1.2 as ssl/session's protocolVersion: it is also the lowest version accepted. */
const TLS_1_2 = 0x303;

/** Root sent as the session's trusted certificate when no override is configured. */
export const DEFAULT_ROOT_RESOURCE = 'microsoft-rsa-root-2017.der';

/** The shape both Socket and SecureSocket share (their SDK typings differ in detail). */
interface CallbackSocket {
  callback: (message: number, value?: number) => void;
  read(type: typeof ArrayBuffer): ArrayBuffer;
  write(data: ArrayBuffer): void;
  write(): number;
  close(): void;
}

export interface ModdableNetworkOptions {
  /**
   * Trusted root for TLS, DER. Moddable's TLS takes one registered root per connection plus
   * the SDK's bundled roots (which include DigiCert Global Root G2, IoT Hub's current root).
   * Default: Microsoft RSA Root CA 2017 from resources. A PEM `ca` in ConnectOptions wins.
   */
  rootDer?: ArrayBuffer;
}

/**
 * TCP and TLS over Moddable's "socket" and "securesocket". TLS is pinned to 1.2 (Moddable's
 * default floor is 1.1), verification stays on, SNI/host check uses serverName or host.
 */
export class ModdableNetwork implements Network {
  constructor(private readonly options: ModdableNetworkOptions = {}) {}

  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    return new ModdableConnection(options, handlers, this.rootFor(options));
  }

  private rootFor(options: ConnectOptions): ArrayBuffer | undefined {
    if (!options.tls) return undefined;
    const pem = options.tls.ca?.[0];
    if (pem !== undefined) return pemToDer(pem);
    if (this.options.rootDer) return this.options.rootDer;
    return Resource.exists(DEFAULT_ROOT_RESOURCE) ? new Resource(DEFAULT_ROOT_RESOURCE).slice(0) : undefined;
  }
}

class ModdableConnection implements Connection {
  private socket: CallbackSocket | undefined;
  private readonly pending: Uint8Array[] = [];
  private connected = false;
  private closed = false;
  private blocked = false;

  constructor(options: ConnectOptions, private readonly handlers: ConnectionHandlers, root: ArrayBuffer | undefined) {
    const tls = options.tls;
    try {
      if (tls) {
        if (tls.cert !== undefined || tls.key !== undefined) throw new Error('client certificates are not supported on this host');
        const secure: Record<string, unknown> = { protocolVersion: TLS_1_2, serverName: tls.serverName ?? options.host };
        if (root) secure.certificate = root;
        this.socket = new SecureSocket({ host: options.host, port: options.port, secure }) as unknown as CallbackSocket;
      } else {
        this.socket = new Socket({ host: options.host, port: options.port }) as unknown as CallbackSocket;
      }
    } catch (e) {
      this.socket = undefined;
      this.finishLater({ code: 'ECONNREFUSED', message: String(e) });
      return;
    }
    this.socket.callback = (message, value) => this.onMessage(message, value ?? 0);
  }

  write(data: Uint8Array): boolean {
    if (this.closed || !this.socket) return false;
    this.pending.push(data.slice());
    if (this.connected) this.flush();
    this.blocked = this.pending.length > 0;
    return !this.blocked;
  }

  close(): void {
    if (this.closed) return;
    this.finishLater({ code: 'CLOSED', message: 'closed by the application' });
  }

  private onMessage(message: number, value: number): void {
    if (this.closed || !this.socket) return;
    switch (message) {
      case CONNECTED:
        this.connected = true;
        this.handlers.onConnect();
        this.flush();
        break;
      case READABLE: {
        const bytes = this.socket.read(ArrayBuffer);
        if (bytes && bytes.byteLength) this.handlers.onData(new Uint8Array(bytes));
        break;
      }
      case WRITABLE:
        this.flush();
        if (this.blocked && this.pending.length === 0) {
          this.blocked = false;
          this.handlers.onWritable?.();
        }
        break;
      case DISCONNECTED:
        this.finish({ code: this.connected ? 'ECONNRESET' : 'ECONNREFUSED', message: 'disconnected' });
        break;
      case ERROR:
      default:
        // SecureSocket reports certificate and handshake failures as a plain error.
        this.finish({ code: this.connected ? 'ECONNRESET' : 'TLS_OR_CONNECT_FAILED', message: `socket error ${message}` });
        break;
    }
    void value;
  }

  /** Sends queued bytes in chunks the socket can take now (Moddable throws on overflow). */
  private flush(): void {
    const socket = this.socket;
    while (socket && this.pending.length > 0) {
      const room = socket.write();
      if (room <= 0) return;
      const head = this.pending[0]!;
      if (head.length <= room) {
        this.pending.shift();
        socket.write(head.buffer as ArrayBuffer);
      } else {
        socket.write(head.slice(0, room).buffer as ArrayBuffer);
        this.pending[0] = head.subarray(room);
      }
    }
  }

  private finish(error: ConnectionError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    const socket = this.socket;
    this.socket = undefined;
    this.pending.length = 0;
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

/** Base64 body of the first PEM block to DER. */
export function pemToDer(pem: string): ArrayBuffer {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/[^A-Za-z0-9+/=]/g, '');
  return base64ToBytes(body).buffer as ArrayBuffer;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64ToBytes(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    const v = ALPHABET.indexOf(clean[i]!);
    if (v < 0) throw new RangeError('invalid base64');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
