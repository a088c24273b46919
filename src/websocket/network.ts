/**
 * A Network decorator that carries a byte stream over WebSocket (RFC 6455): connect() opens the
 * inner connection (TCP or TLS, with all its verification), sends the opening handshake, checks
 * the answer (./handshake), then reports onConnect; from then on write() sends binary frames,
 * masked with fresh keys from the host's strong random source where it has one (./mask-bytes,
 * section 5.3), and onData gets the payload
 * of the server's binary frames (./decoder). Pings are answered, a Close is echoed.
 *
 * Used for MQTT over WebSockets (MQTT 3.1.1 section 6, IoT Hub's `/$iothub/websocket` on 443):
 * MQTT packets of any size cross frame boundaries both ways, and frames may be split anywhere
 * across the transport's reads. Memory is fixed per connection: one outgoing frame buffer
 * (maxFramePayload + 14 bytes; longer writes leave as several frames), the handshake reader's
 * head buffer (released once open), and the decoder's small buffers.
 *
 * Errors (ConnectionError codes): WS_HANDSHAKE (the server did not accept the upgrade, or the
 * connection closed before it did), WS_PROTOCOL (a frame broke RFC 6455 or MQTT's binary-only
 * rule; answered with the matching Close status), CLOSED (the server sent a Close).
 */
import type { Connection, ConnectionError, ConnectionHandlers, ConnectOptions, Network, Random } from '../platform';
import { FrameDecoder, type FrameSink } from './decoder';
import { MaskBytes } from './mask-bytes';
import { CLOSE_NORMAL, encodeFrame, MAX_CONTROL_PAYLOAD, MAX_HEADER_BYTES, newMask, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_PONG } from './frame';
import { buildRequest, HandshakeReader, makeKey } from './handshake';

export interface WebSocketNetworkOptions {
  /** Request path, e.g. `/$iothub/websocket`. */
  path: string;
  /** Subprotocol asked for and required in the answer, e.g. `mqtt`. */
  protocol: string;
  /** Masking keys and the handshake nonce when `randomBytes` is absent (not a strong source). */
  random: Random;
  /** The host's strong source (Crypto.randomBytes): masking keys and the nonce come from it when present. */
  randomBytes?: (out: Uint8Array) => void;
  /** Largest payload per outgoing frame, bytes; longer writes are split. Default 1024. */
  maxFramePayload?: number;
  /** Largest handshake response head, bytes. Default 2048. */
  maxResponseHead?: number;
  /** Largest incoming frame payload, bytes (payloads are streamed, not held). Default 2^31 - 1. */
  maxIncomingFrame?: number;
}

export class WebSocketNetwork implements Network {
  constructor(
    private readonly inner: Network,
    private readonly options: WebSocketNetworkOptions,
  ) {}

  /** Throws Error for a path or host that cannot go into the request. */
  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    return new WebSocketConnection(this.inner, options, handlers, this.options);
  }
}

type Phase = 'connecting' | 'handshake' | 'open' | 'closing' | 'closed';

class WebSocketConnection implements Connection, FrameSink {
  private phase: Phase = 'connecting';
  private local = false;
  private error: ConnectionError | undefined;
  private readonly inner: Connection;
  /** Released once the upgrade is accepted: its head buffer is only needed until then. */
  private reader: HandshakeReader | undefined;
  private readonly decoder: FrameDecoder;
  private readonly frame: Uint8Array;
  private readonly controlFrame = new Uint8Array(MAX_HEADER_BYTES + MAX_CONTROL_PAYLOAD);
  private readonly mask = new Uint8Array(4);
  private readonly maxFramePayload: number;
  private readonly nextByte: () => number;

  constructor(
    network: Network,
    options: ConnectOptions,
    private readonly handlers: ConnectionHandlers,
    settings: WebSocketNetworkOptions,
  ) {
    const bytes = new MaskBytes(settings.random, settings.randomBytes);
    this.nextByte = () => bytes.next();
    this.maxFramePayload = Math.max(1, settings.maxFramePayload ?? 1024);
    this.frame = new Uint8Array(this.maxFramePayload + MAX_HEADER_BYTES);
    const key = makeKey(this.nextByte);
    const name = options.tls?.serverName ?? options.host;
    const defaultPort = options.tls ? 443 : 80;
    const request = buildRequest({ host: options.port === defaultPort ? name : `${name}:${options.port}`, path: settings.path, key, protocol: settings.protocol });
    this.reader = new HandshakeReader(key, settings.protocol, settings.maxResponseHead);
    this.decoder = new FrameDecoder(this, { maxPayload: settings.maxIncomingFrame });
    this.inner = network.connect(options, {
      onConnect: () => {
        if (this.phase !== 'connecting') return;
        this.phase = 'handshake';
        this.inner.write(request);
      },
      onData: (data) => this.received(data),
      onWritable: () => {
        if (this.phase === 'open') this.handlers.onWritable?.();
      },
      onClose: (error) => this.innerClosed(error),
    });
  }

  write(data: Uint8Array): boolean {
    if (this.phase !== 'open') return false;
    let ok = true;
    for (let at = 0; at < data.length; at += this.maxFramePayload) {
      const end = Math.min(data.length, at + this.maxFramePayload);
      const n = encodeFrame(this.frame, OPCODE_BINARY, data, at, end, newMask(this.mask, this.nextByte));
      // The inner connection copies before returning, so the frame buffer is free again.
      if (!this.inner.write(this.frame.subarray(0, n))) ok = false;
    }
    return ok;
  }

  /** Sends a Close (1000) when open, then closes the inner connection; onClose follows. */
  close(): void {
    if (this.phase === 'closed' || this.local) return;
    this.local = true;
    this.decoder.stop();
    if (this.phase === 'open') this.sendClose(CLOSE_NORMAL);
    this.phase = 'closing';
    this.inner.close();
  }

  // ---- FrameSink ------------------------------------------------------------------------

  onData(bytes: Uint8Array): void {
    if (this.phase === 'open') this.handlers.onData(bytes);
  }

  onPing(payload: Uint8Array): void {
    if (this.phase === 'open') this.sendControl(OPCODE_PONG, payload);
  }

  onPong(): void {
    // Unsolicited Pongs are allowed (section 5.5.3); we send no Pings: MQTT keepalive suffices.
  }

  onClose(code: number | undefined, reason: string): void {
    const detail = code === undefined ? '' : ` (${code}${reason ? ' ' + reason : ''})`;
    this.end({ code: 'CLOSED', message: `the server closed the WebSocket${detail}` }, code);
  }

  onError(closeCode: number, message: string): void {
    this.end({ code: 'WS_PROTOCOL', message: `WebSocket: ${message}` }, closeCode);
  }

  // ---- inner connection -----------------------------------------------------------------

  private received(data: Uint8Array): void {
    if (this.phase === 'handshake' && this.reader) {
      const step = this.reader.push(data);
      if (step.kind === 'more') return;
      if (step.kind === 'error') {
        this.end({ code: 'WS_HANDSHAKE', message: `WebSocket handshake refused: ${step.message}` }, undefined);
        return;
      }
      this.phase = 'open';
      this.reader = undefined;
      this.handlers.onConnect();
      if (this.phase === 'open' && step.rest < data.length) this.decoder.push(data.subarray(step.rest));
    } else if (this.phase === 'open') {
      this.decoder.push(data);
    }
  }

  /** Ends the connection for `error`, echoing a Close with `closeCode` when open. */
  private end(error: ConnectionError, closeCode: number | undefined): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.error = error;
    this.decoder.stop();
    if (this.phase === 'open') this.sendClose(closeCode);
    this.phase = 'closing';
    this.inner.close();
  }

  private innerClosed(error: ConnectionError | undefined): void {
    if (this.phase === 'closed') return;
    const phase = this.phase;
    this.phase = 'closed';
    this.decoder.stop();
    if (this.local) this.handlers.onClose(error);
    else if (this.error) this.handlers.onClose(this.error);
    else if (phase === 'handshake') this.handlers.onClose(error ?? { code: 'WS_HANDSHAKE', message: 'the connection closed during the WebSocket handshake' });
    else this.handlers.onClose(error);
  }

  private sendClose(code: number | undefined): void {
    this.sendControl(OPCODE_CLOSE, code === undefined ? new Uint8Array(0) : Uint8Array.of(code >>> 8, code & 0xff));
  }

  private sendControl(opcode: number, payload: Uint8Array): void {
    const n = encodeFrame(this.controlFrame, opcode, payload, 0, payload.length, newMask(this.mask, this.nextByte));
    this.inner.write(this.controlFrame.subarray(0, n));
  }
}
