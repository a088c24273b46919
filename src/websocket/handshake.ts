/**
 * The client side of the WebSocket opening handshake (RFC 6455 section 4.1): the HTTP/1.1
 * Upgrade request, and a reader that takes the server's response as it arrives and checks it
 * as section 4.1 requires of a client: status 101, `Upgrade: websocket`, `Connection: Upgrade`,
 * `Sec-WebSocket-Accept` = base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), the
 * subprotocol we asked for and no extension (we offer none).
 */
import { base64Encode } from '../iothub/base64';
import { encodeUtf8 } from '../text/utf8';
import { isWhiteSpace } from '../text/white-space';
import { sha1 } from './sha1';

/** RFC 6455 section 1.3. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Largest response head accepted by default, bytes (IoT Hub's is a few hundred). */
export const DEFAULT_MAX_RESPONSE_HEAD = 2048;

export interface HandshakeRequest {
  /** Host header value: the host name, with `:port` when the port is not the scheme's default. */
  host: string;
  /** Request target, e.g. `/$iothub/websocket`. */
  path: string;
  /** Sec-WebSocket-Key: base64 of 16 random bytes (section 4.1, item 7). */
  key: string;
  /** Sec-WebSocket-Protocol to ask for, e.g. `mqtt` (MQTT 3.1.1 section 6). */
  protocol: string;
}

/** A random Sec-WebSocket-Key from 16 bytes of `nextByte()` (0..255 each). */
export function makeKey(nextByte: () => number): string {
  const nonce = new Uint8Array(16);
  for (let i = 0; i < 16; i++) nonce[i] = nextByte();
  return base64Encode(nonce);
}

/** The Sec-WebSocket-Accept a server must answer to `key` (section 4.2.2, item 5.4). */
export function acceptFor(key: string): string {
  return base64Encode(sha1(encodeUtf8(key + ACCEPT_GUID)));
}

/** The opening request, UTF-8 bytes. Throws on a field that would break the request line or a header. */
export function buildRequest(request: HandshakeRequest): Uint8Array {
  for (const value of [request.host, request.path, request.protocol]) {
    if (value.length === 0 || hasSpaceOrControl(value)) throw new Error('WebSocket handshake: host, path and protocol must be non-empty and free of spaces and control characters');
  }
  if (request.path[0] !== '/') throw new Error('WebSocket handshake: the path must start with "/"');
  return encodeUtf8(
    `GET ${request.path} HTTP/1.1\r\n` +
      `Host: ${request.host}\r\n` +
      'Upgrade: websocket\r\n' +
      'Connection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${request.key}\r\n` +
      'Sec-WebSocket-Version: 13\r\n' +
      `Sec-WebSocket-Protocol: ${request.protocol}\r\n` +
      '\r\n',
  );
}

/** What `HandshakeReader.push` found. */
export type HandshakeStep =
  | { kind: 'more' }
  /** The upgrade is accepted; bytes from `rest` on in the pushed array are the first frames. */
  | { kind: 'done'; rest: number }
  | { kind: 'error'; message: string };

const MORE: HandshakeStep = Object.freeze({ kind: 'more' });

/**
 * Collects the response head (up to the blank line) into a fixed buffer and validates it.
 * After 'done' or 'error' it answers the same way to any further push.
 */
export class HandshakeReader {
  private readonly head: Uint8Array;
  private used = 0;
  private result: HandshakeStep | undefined;

  constructor(
    private readonly key: string,
    private readonly protocol: string,
    maxHead = DEFAULT_MAX_RESPONSE_HEAD,
  ) {
    this.head = new Uint8Array(maxHead);
  }

  push(data: Uint8Array): HandshakeStep {
    if (this.result) return this.result.kind === 'done' ? { kind: 'done', rest: 0 } : this.result;
    for (let i = 0; i < data.length; i++) {
      if (this.used === this.head.length) return this.finish({ kind: 'error', message: `response head longer than ${this.head.length} bytes` });
      this.head[this.used++] = data[i];
      const n = this.used;
      if (n >= 4 && this.head[n - 1] === 10 && this.head[n - 2] === 13 && this.head[n - 3] === 10 && this.head[n - 4] === 13) {
        const problem = this.check(latin1(this.head, n - 4));
        return this.finish(problem === undefined ? { kind: 'done', rest: i + 1 } : { kind: 'error', message: problem });
      }
    }
    return MORE;
  }

  private finish(step: HandshakeStep): HandshakeStep {
    this.result = step;
    return step;
  }

  /** Undefined when the head (without its blank line) accepts the upgrade, else why not. */
  private check(text: string): string | undefined {
    const lines = text.split('\r\n');
    const status = statusLine(lines[0]);
    if (!status) return 'the response is not HTTP/1.1';
    if (status.code !== '101') return `the server answered ${status.code} ${status.reason}`.trim() + ' instead of 101 Switching Protocols';
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      if (colon <= 0) return 'malformed header line';
      const name = lines[i].slice(0, colon).trim().toLowerCase();
      const value = lines[i].slice(colon + 1).trim();
      // Repeated fields combine with commas (RFC 9110 section 5.3).
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    if ((headers.get('upgrade') ?? '').toLowerCase() !== 'websocket') return 'no "Upgrade: websocket" in the response';
    const connection = (headers.get('connection') ?? '').toLowerCase().split(',');
    if (!connection.some((token) => token.trim() === 'upgrade')) return 'no "Connection: Upgrade" in the response';
    if (headers.get('sec-websocket-accept') !== acceptFor(this.key)) return 'wrong or missing Sec-WebSocket-Accept';
    if (headers.has('sec-websocket-extensions')) return 'the server chose an extension we did not offer';
    const protocol = headers.get('sec-websocket-protocol');
    if (protocol !== this.protocol) return protocol === undefined ? `the server chose no subprotocol (asked for "${this.protocol}")` : 'the server chose a subprotocol we did not ask for';
    return undefined;
  }
}

/** Bytes 0..end as a string of char codes 0..255 (HTTP field bytes), built in slices: no spread over large arrays. */
function latin1(bytes: Uint8Array, end: number): string {
  let text = '';
  for (let i = 0; i < end; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

/**
 * `HTTP/1.1 <3 digits>[ <reason>]` (RFC 9112 section 4) split into code and reason, or undefined.
 * Scanned, not matched with a RegExp (mcsim's XS crashed in RegExp exec: src/device/per-sensor-map.ts).
 */
function statusLine(line: string): { code: string; reason: string } | undefined {
  if (line.slice(0, 9) !== 'HTTP/1.1 ' || line.length < 12) return undefined;
  for (let i = 9; i < 12; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  if (line.length > 12 && line[12] !== ' ') return undefined;
  const reason = line.slice(13);
  for (let i = 0; i < reason.length; i++) if (isLineTerminator(reason.charCodeAt(i))) return undefined;
  return { code: line.slice(9, 12), reason };
}

/** True when `value` holds a C0 control, DEL or any white space (what a request line or header cannot carry). */
function hasSpaceOrControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || isWhiteSpace(c)) return true;
  }
  return false;
}

function isLineTerminator(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;
}
