/**
 * The Host's Network for Node.js: TCP over node:net, TLS over node:tls.
 *
 * TLS verification is always on: there is deliberately no option to turn it off. Tests use a
 * CA generated at setup instead. The protocol floor is TLS 1.2 whatever the caller asks for.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Connection, ConnectionError, ConnectionHandlers, ConnectOptions, Network } from '../../src/platform';

export interface NodeNetworkOptions {
  /** Time allowed for TCP connect plus the TLS handshake. Default 30 s. */
  connectTimeoutMs?: number;
  /** Time close() waits for the send buffer to flush before destroying the socket. Default 2 s. */
  closeLingerMs?: number;
}

/** OpenSSL verification codes that mean "this chain does not lead to a trusted root". */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
]);

const PASSTHROUGH = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE', 'EADDRNOTAVAIL']);

/** Maps a Node socket/TLS error to a stable ConnectionError code. */
export function connectionError(error: Error & { code?: string }): ConnectionError {
  const code = error.code ?? '';
  let mapped: string;
  if (UNTRUSTED.has(code)) mapped = 'TLS_CERT_UNTRUSTED';
  else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') mapped = 'TLS_HOSTNAME';
  else if (code === 'CERT_HAS_EXPIRED') mapped = 'TLS_CERT_EXPIRED';
  else if (code === 'CERT_NOT_YET_VALID') mapped = 'TLS_CERT_NOT_YET_VALID';
  else if (code === 'CERT_REVOKED') mapped = 'TLS_CERT_REVOKED';
  else if (code.endsWith('CERTIFICATE_REQUIRED')) mapped = 'TLS_CLIENT_CERT_REQUIRED'; // TLS 1.3 alert 116
  else if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) mapped = 'TLS_HANDSHAKE';
  else if (PASSTHROUGH.has(code)) mapped = code;
  else mapped = 'NETWORK';
  return { code: mapped, message: code ? `${code}: ${error.message}` : error.message };
}

/** One open connection. `destroy()` drops it abruptly (no flush), as a lost link would. */
export class NodeConnection implements Connection {
  private closed = false;
  private connected = false;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private closeError: ConnectionError | undefined;
  private closedLocally = false;
  private corked = false;
  /** Writes within one tick leave as one segment (a burst of PUBACK-driven PUBLISHes, say). */
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };
  readonly socket: net.Socket;

  constructor(
    options: ConnectOptions,
    private readonly handlers: ConnectionHandlers,
    private readonly settings: Required<NodeNetworkOptions>,
  ) {
    if (options.tls) {
      const t = options.tls;
      const name = t.serverName ?? options.host;
      this.socket = tls.connect({
        host: options.host,
        port: options.port,
        // SNI carries host names only; IP addresses are still checked below.
        servername: net.isIP(name) ? undefined : name,
        ca: t.ca,
        cert: t.cert,
        key: t.key,
        minVersion: t.minVersion === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2',
        rejectUnauthorized: true,
        checkServerIdentity: (_host, cert) => tls.checkServerIdentity(name, cert),
      });
      this.socket.once('secureConnect', () => this.opened());
    } else {
      this.socket = net.connect({ host: options.host, port: options.port });
      this.socket.once('connect', () => this.opened());
    }
    this.socket.setNoDelay(true);
    this.connectTimer = setTimeout(() => {
      this.fail({ code: 'TIMEOUT', message: `no connection to ${options.host}:${options.port} within ${this.settings.connectTimeoutMs} ms` });
    }, this.settings.connectTimeoutMs);
    this.socket.on('data', (chunk: Buffer) => {
      if (!this.closed) this.handlers.onData(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    });
    this.socket.on('drain', () => {
      if (!this.closed) this.handlers.onWritable?.();
    });
    this.socket.on('error', (error: Error) => {
      if (!this.closeError) this.closeError = connectionError(error);
    });
    this.socket.on('end', () => {
      if (!this.closeError) this.closeError = { code: 'CLOSED', message: 'the peer closed the connection' };
    });
    this.socket.on('close', () => this.finish());
  }

  private opened(): void {
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    if (this.closed) return;
    this.connected = true;
    this.handlers.onConnect();
  }

  private fail(error: ConnectionError): void {
    if (!this.closeError && !this.closedLocally) this.closeError = error;
    this.socket.destroy();
  }

  private finish(): void {
    clearTimeout(this.connectTimer);
    clearTimeout(this.lingerTimer);
    if (this.closed) return;
    this.closed = true;
    const error = this.closedLocally ? undefined : this.closeError ?? (this.connected ? undefined : { code: 'CLOSED', message: 'closed before connecting' });
    this.handlers.onClose(error);
  }

  write(data: Uint8Array): boolean {
    if (this.closed || this.socket.destroyed) return false;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    // The contract lets the caller reuse its buffer at once: Buffer.from copies.
    return this.socket.write(Buffer.from(data));
  }

  /** Flushes what is queued, then closes. onClose follows with no error. */
  close(): void {
    if (this.closed || this.lingerTimer) return;
    this.markLocalClose();
    if (!this.connected) {
      this.socket.destroy();
      return;
    }
    this.socket.end();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), this.settings.closeLingerMs);
  }

  /** Drops the connection at once, without flushing or a FIN handshake (tests: a lost link). */
  destroy(): void {
    if (this.closed) return;
    this.markLocalClose();
    this.socket.resetAndDestroy();
  }

  /** A local close is not an error: later 'end'/'error' events must not turn it into one. */
  private markLocalClose(): void {
    this.closedLocally = true;
    this.socket.removeAllListeners('end');
    this.socket.removeAllListeners('error');
    this.socket.on('error', () => undefined);
  }
}

export class NodeNetwork implements Network {
  private readonly settings: Required<NodeNetworkOptions>;

  constructor(options: NodeNetworkOptions = {}) {
    this.settings = { connectTimeoutMs: options.connectTimeoutMs ?? 30_000, closeLingerMs: options.closeLingerMs ?? 2_000 };
  }

  connect(options: ConnectOptions, handlers: ConnectionHandlers): NodeConnection {
    return new NodeConnection(options, handlers, this.settings);
  }
}
