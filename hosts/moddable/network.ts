import { Socket } from 'socket';
import SecureSocket from 'securesocket';
import Resource from 'Resource';
import CertificateManager from 'ssl/cert';
import { base64Decode } from '../../src/iothub/base64';
import { ROOT_CAS } from '../../src/iothub/root-cas';
import type { Connection, ConnectionError, ConnectionHandlers, ConnectOptions, Network } from '../../src/platform';

/** Moddable socket callback messages (modules/network/socket). */
const ERROR = -2;
const DISCONNECTED = -1;
const CONNECTED = 1;
const READABLE = 2;
const WRITABLE = 3;

/** TLS 1.2 as ssl/session's protocolVersion: it is also the lowest version accepted. */
const TLS_1_2 = 0x303;

/** Root trusted when a TLS connection names no `ca` and no override is configured. */
export const DEFAULT_ROOT_RESOURCE = 'microsoft-rsa-root-2017.der';

/**
 * Resources (DER, in flash) for the roots of src/iothub/root-cas.ts, so the hub client's default
 * `ca` list costs no RAM: DigiCert Global Root G2 is the SDK store's ca170 (also what ssl/cert's
 * lookup by key identifier, ca.ski, finds), Microsoft RSA Root CA 2017 is not in that store.
 */
const ROOT_RESOURCES: Readonly<Record<string, string>> = Object.freeze({
  'digicert-global-root-g2.pem': 'ca170.der',
  'microsoft-rsa-root-ca-2017.pem': DEFAULT_ROOT_RESOURCE,
});

/** A DER certificate: bytes in RAM, or a Resource in flash (ssl/cert reads either). */
export type Der = ArrayBuffer | ResourceData;
type ResourceData = InstanceType<typeof Resource>;

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
   * Trusted roots (DER) for a TLS connection whose options carry no `ca` (e.g. the emulator's
   * CA from `hubCa`). Default: Microsoft RSA Root CA 2017 from resources. A `ca` list wins.
   */
  roots?: readonly Der[];
}

/**
 * TCP and TLS over Moddable's "socket" and "securesocket". TLS is pinned to 1.2 (Moddable's
 * default floor is 1.1), verification stays on, SNI/host check uses serverName or host.
 *
 * Every root of the connection's `ca` list is trusted. SecureSocket takes one root per
 * connection (`secure.certificate`); ssl/cert's static CertificateManager.register adds more
 * for all connections (kept for the process, deduplicated by content). Besides those,
 * ssl/cert trusts any root of the SDK store whose caN.der is among the resources (ca170).
 */
export class ModdableNetwork implements Network {
  constructor(private readonly options: ModdableNetworkOptions = {}) {}

  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    return new ModdableConnection(options, handlers, options.tls ? this.rootsFor(options.tls.ca) : []);
  }

  private rootsFor(ca: readonly string[] | undefined): readonly Der[] {
    if (ca && ca.length > 0) {
      const roots: Der[] = [];
      for (const pem of ca) {
        const known = ROOT_CAS.find((c) => c.pem === pem);
        const name = known ? ROOT_RESOURCES[known.file] : undefined;
        if (name !== undefined && Resource.exists(name)) roots.push(new Resource(name));
        else for (const der of pemToDerList(pem)) roots.push(der);
      }
      return roots;
    }
    if (this.options.roots && this.options.roots.length > 0) return this.options.roots;
    return Resource.exists(DEFAULT_ROOT_RESOURCE) ? [new Resource(DEFAULT_ROOT_RESOURCE)] : [];
  }
}

class ModdableConnection implements Connection {
  private socket: CallbackSocket | undefined;
  private readonly pending: Uint8Array[] = [];
  private connected = false;
  private closed = false;
  private blocked = false;

  constructor(options: ConnectOptions, private readonly handlers: ConnectionHandlers, roots: readonly Der[]) {
    const tls = options.tls;
    try {
      if (tls) {
        if (tls.cert !== undefined || tls.key !== undefined) throw new Error('client certificates are not supported on this host');
        const secure: Record<string, unknown> = { protocolVersion: TLS_1_2, serverName: tls.serverName ?? options.host };
        if (roots.length > 0) secure.certificate = roots[0];
        for (let i = 1; i < roots.length; i++) CertificateManager.register(roots[i]!);
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

/**
 * DER of each certificate in PEM text (a bundle may hold several), or of the whole text taken
 * as one base64 body when it has no PEM armour. Throws Base64Error on malformed base64.
 */
export function pemToDerList(pem: string): ArrayBuffer[] {
  const blocks = pem.match(/-----BEGIN [^-]+-----[^-]*-----END [^-]+-----/g) ?? [pem];
  return blocks.map((block) => {
    const body = block.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    return base64Decode(body).buffer as ArrayBuffer;
  });
}
