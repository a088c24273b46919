/**
 * Streaming WebSocket frame decoder (RFC 6455 section 5): bytes in as they arrive, split
 * anywhere, payload bytes and control frames out. Data is streamed, never gathered: a frame's
 * payload goes to onData in the pieces the transport delivered, so memory stays fixed (a 14-byte
 * header buffer, a 125-byte control frame buffer, a 256-byte unmasking buffer) whatever the
 * frame and message sizes. MQTT is a byte stream, so message boundaries do not matter to it.
 *
 * Refused, with the close status to answer (section 7.4.1), then no further callback:
 * - reserved bits set or an unknown opcode (no extension was negotiated), 1002;
 * - a frame masked when it must not be (server to client) or unmasked when it must be, 1002;
 * - a fragmented or longer-than-125-byte control frame, 1002; a Close with a 1-byte payload,
 *   a status code that may not be sent, 1002, or a reason that is not UTF-8, 1007;
 * - a continuation with no message open, or a new message inside a fragmented one, 1002;
 * - a text message: MQTT over WebSocket is binary only (MQTT 3.1.1 section 6), 1003;
 * - a 64-bit length with its most significant bit set (section 5.2), 1002, or above
 *   `maxPayload`, 1009.
 * push() never throws for any input.
 */
import { decodeUtf8 } from '../text/utf8';
import {
  CLOSE_INVALID_PAYLOAD,
  CLOSE_PROTOCOL_ERROR,
  CLOSE_TOO_BIG,
  CLOSE_UNSUPPORTED_DATA,
  MAX_CONTROL_PAYLOAD,
  MAX_HEADER_BYTES,
  OPCODE_BINARY,
  OPCODE_CLOSE,
  OPCODE_CONTINUATION,
  OPCODE_PING,
  OPCODE_PONG,
  OPCODE_TEXT,
} from './frame';

export interface FrameSink {
  /** Payload bytes of a binary message, unmasked, in order. The array is valid only during the call. */
  onData(bytes: Uint8Array): void;
  /** A Ping (payload valid only during the call): answer with a Pong carrying it (section 5.5.2). */
  onPing(payload: Uint8Array): void;
  onPong(payload: Uint8Array): void;
  /** The peer's Close: its status code (undefined when it sent none) and reason. Nothing follows. */
  onClose(code: number | undefined, reason: string): void;
  /** The stream broke a rule: `closeCode` is the status to close with. Nothing follows. */
  onError(closeCode: number, message: string): void;
}

export interface FrameDecoderOptions {
  /** true: frames must be masked (the server's side); default false: must not be (the client's). */
  masked?: boolean;
  /** Largest frame payload accepted, bytes. Default 2^31 - 1. */
  maxPayload?: number;
}

const HEADER = 0;
const PAYLOAD = 1;
const DONE = 2;

export class FrameDecoder {
  private readonly masked: boolean;
  private readonly maxPayload: number;
  private readonly header = new Uint8Array(MAX_HEADER_BYTES);
  private readonly control = new Uint8Array(MAX_CONTROL_PAYLOAD);
  private readonly scratch = new Uint8Array(256);
  private readonly mask = new Uint8Array(4);
  private state = HEADER;
  private headerUsed = 0;
  private headerNeed = 2;
  private opcode = 0;
  private remaining = 0;
  private offset = 0;
  private inMessage = false;

  constructor(
    private readonly sink: FrameSink,
    options: FrameDecoderOptions = {},
  ) {
    this.masked = options.masked ?? false;
    this.maxPayload = options.maxPayload ?? 0x7fffffff;
  }

  /** True after a Close or an error: further bytes are ignored. */
  get finished(): boolean {
    return this.state === DONE;
  }

  /** Ignore everything from now on (the connection is going away). */
  stop(): void {
    this.state = DONE;
  }

  push(data: Uint8Array): void {
    const n = data.length;
    let i = 0;
    while (i < n && this.state !== DONE) {
      if (this.state === HEADER) {
        this.header[this.headerUsed++] = data[i++];
        if (this.headerUsed === 2 && !this.startHeader()) return;
        if (this.headerUsed === this.headerNeed) this.endHeader();
      } else {
        const take = Math.min(n - i, this.remaining);
        this.payload(data, i, i + take);
        i += take;
      }
    }
  }

  /** Checks the first two header bytes and sizes the rest. False after an error. */
  private startHeader(): boolean {
    const b0 = this.header[0];
    const b1 = this.header[1];
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    const length7 = b1 & 0x7f;
    if ((b0 & 0x70) !== 0) return this.fail(CLOSE_PROTOCOL_ERROR, 'reserved bits set');
    if (((b1 & 0x80) !== 0) !== this.masked) return this.fail(CLOSE_PROTOCOL_ERROR, this.masked ? 'unmasked client frame' : 'masked server frame');
    if (opcode >= 0x8) {
      if (opcode !== OPCODE_CLOSE && opcode !== OPCODE_PING && opcode !== OPCODE_PONG) return this.fail(CLOSE_PROTOCOL_ERROR, `unknown opcode ${opcode}`);
      if (!fin) return this.fail(CLOSE_PROTOCOL_ERROR, 'fragmented control frame');
      if (length7 > MAX_CONTROL_PAYLOAD) return this.fail(CLOSE_PROTOCOL_ERROR, 'control frame longer than 125 bytes');
    } else if (opcode === OPCODE_TEXT) {
      return this.fail(CLOSE_UNSUPPORTED_DATA, 'text frame: MQTT over WebSocket is binary only');
    } else if (opcode === OPCODE_CONTINUATION) {
      if (!this.inMessage) return this.fail(CLOSE_PROTOCOL_ERROR, 'continuation frame with no message open');
    } else if (opcode === OPCODE_BINARY) {
      if (this.inMessage) return this.fail(CLOSE_PROTOCOL_ERROR, 'new message inside a fragmented one');
    } else {
      return this.fail(CLOSE_PROTOCOL_ERROR, `unknown opcode ${opcode}`);
    }
    if (opcode < 0x8) this.inMessage = !fin;
    this.opcode = opcode;
    this.headerNeed = 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (this.masked ? 4 : 0);
    return true;
  }

  private endHeader(): void {
    const h = this.header;
    const length7 = h[1] & 0x7f;
    let length = length7;
    let at = 2;
    if (length7 === 126) {
      length = (h[2] << 8) | h[3];
      at = 4;
    } else if (length7 === 127) {
      const high = ((h[2] << 24) | (h[3] << 16) | (h[4] << 8) | h[5]) >>> 0;
      const low = ((h[6] << 24) | (h[7] << 16) | (h[8] << 8) | h[9]) >>> 0;
      if (high >= 0x80000000) {
        this.fail(CLOSE_PROTOCOL_ERROR, '64-bit frame length with its most significant bit set');
        return;
      }
      length = high * 0x100000000 + low;
      at = 10;
    }
    if (length > this.maxPayload) {
      this.fail(CLOSE_TOO_BIG, `frame of ${length} bytes, over the ${this.maxPayload}-byte limit`);
      return;
    }
    if (this.masked) for (let i = 0; i < 4; i++) this.mask[i] = h[at + i];
    this.headerUsed = 0;
    this.headerNeed = 2;
    this.remaining = length;
    this.offset = 0;
    this.state = PAYLOAD;
    if (length === 0) this.endFrame();
  }

  /** Payload bytes data[start..end) of the current frame. */
  private payload(data: Uint8Array, start: number, end: number): void {
    if (this.opcode >= 0x8) {
      for (let i = start; i < end; i++) this.control[this.offset + i - start] = this.unmask(data[i], this.offset + i - start);
    } else if (!this.masked) {
      if (end > start) this.sink.onData(data.subarray(start, end));
    } else {
      for (let at = start; at < end && this.state === PAYLOAD; ) {
        const count = Math.min(end - at, this.scratch.length);
        for (let i = 0; i < count; i++) this.scratch[i] = this.unmask(data[at + i], this.offset + at - start + i);
        this.sink.onData(this.scratch.subarray(0, count));
        at += count;
      }
    }
    if (this.state !== PAYLOAD) return; // a callback stopped the decoder
    this.offset += end - start;
    this.remaining -= end - start;
    if (this.remaining === 0) this.endFrame();
  }

  private unmask(byte: number, position: number): number {
    return this.masked ? byte ^ this.mask[position & 3] : byte;
  }

  private endFrame(): void {
    this.state = HEADER;
    if (this.opcode < 0x8) return;
    const payload = this.control.subarray(0, this.offset);
    if (this.opcode === OPCODE_PING) this.sink.onPing(payload);
    else if (this.opcode === OPCODE_PONG) this.sink.onPong(payload);
    else this.closeFrame(payload);
  }

  private closeFrame(payload: Uint8Array): void {
    if (payload.length === 0) {
      this.state = DONE;
      this.sink.onClose(undefined, '');
      return;
    }
    if (payload.length === 1) {
      this.fail(CLOSE_PROTOCOL_ERROR, 'Close frame with a 1-byte payload');
      return;
    }
    const code = (payload[0] << 8) | payload[1];
    if (!sendableCloseCode(code)) {
      this.fail(CLOSE_PROTOCOL_ERROR, `Close frame with status ${code}, which may not be sent`);
      return;
    }
    const reason = decodeUtf8(payload, 2, payload.length);
    if (typeof reason !== 'string') {
      this.fail(CLOSE_INVALID_PAYLOAD, 'Close frame reason is not UTF-8');
      return;
    }
    this.state = DONE;
    this.sink.onClose(code, reason);
  }

  private fail(closeCode: number, message: string): false {
    this.state = DONE;
    this.sink.onError(closeCode, message);
    return false;
  }
}

/** Status codes an endpoint may put in a Close frame (section 7.4.1, IANA registry). */
export function sendableCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}
