/**
 * Shared (Node + XS): the RFC 6455 client framing under MQTT over WebSockets. Vectors from
 * RFC 6455 (section 1.3 handshake example, section 5.7 frame examples) and FIPS 180-4 / RFC 3174
 * (SHA-1); the rest checks the rules the decoder enforces and the decorator end to end against
 * an in-memory server (./fake-server).
 */
import type { Check, Json, Suite } from '../harness';
import type { ConnectionError } from '../../src/platform';
import { base64Encode } from '../../src/iothub/base64';
import { FrameDecoder, sendableCloseCode } from '../../src/websocket/decoder';
import { encodeFrame, headerLength, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_CONTINUATION, OPCODE_PING, OPCODE_PONG, OPCODE_TEXT } from '../../src/websocket/frame';
import { acceptFor, buildRequest, HandshakeReader } from '../../src/websocket/handshake';
import { MaskBytes } from '../../src/websocket/mask-bytes';
import { WebSocketNetwork } from '../../src/websocket/network';
import { sha1 } from '../../src/websocket/sha1';
import { FakeServer, seededRandom, serverFrame } from './fake-server';

function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return s;
}

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Runs `bytes` through a client decoder in pieces of `piece`, returning what it reported. */
function decode(bytes: number[], piece: number, options: { masked?: boolean; maxPayload?: number } = {}): Json[] {
  const out: Json[] = [];
  let data: number[] = [];
  const flush = (): void => {
    if (data.length) out.push({ data });
    data = [];
  };
  const d = new FrameDecoder(
    {
      onData: (b) => {
        for (let i = 0; i < b.length; i++) data.push(b[i]);
      },
      onPing: (p) => (flush(), out.push({ ping: Array.from(p) })),
      onPong: (p) => (flush(), out.push({ pong: Array.from(p) })),
      onClose: (code, reason) => (flush(), out.push({ close: code ?? null, reason })),
      onError: (code, message) => (flush(), out.push({ error: code, message })),
    },
    options,
  );
  const all = Uint8Array.from(bytes);
  for (let at = 0; at < all.length; at += piece) d.push(all.subarray(at, Math.min(all.length, at + piece)));
  flush();
  return out;
}

function errorCode(events: Json[]): number | undefined {
  const last = events[events.length - 1] as { error?: number } | undefined;
  return last?.error;
}

/** A client over the fake server, through the handshake. */
function openClient(seed = 7, maxFramePayload?: number) {
  const server = new FakeServer();
  const net = new WebSocketNetwork(server, { path: '/$iothub/websocket', protocol: 'mqtt', random: seededRandom(seed), maxFramePayload });
  const got: number[] = [];
  const log: string[] = [];
  let closed: ConnectionError | undefined | null = null;
  const conn = net.connect(
    { host: '127.0.0.1', port: 443, tls: { serverName: 'myhub.azure-devices.net' } },
    {
      onConnect: () => log.push('connect'),
      onData: (b) => {
        for (let i = 0; i < b.length; i++) got.push(b[i]);
      },
      onClose: (e) => {
        log.push('close');
        closed = e;
      },
    },
  );
  server.open();
  return { server, conn, got, log, closed: () => closed };
}

function expectError(t: Check, bytes: number[], code: number, pattern: RegExp): string {
  const events = decode(bytes, 1);
  t.equal(errorCode(events), code, JSON.stringify(events));
  const message = (events[events.length - 1] as { message: string }).message;
  t.ok(pattern.test(message), message);
  return message;
}

export const suite: Suite = {
  name: 'websocket',
  cases: [
    {
      name: 'SHA-1: FIPS 180-4 / RFC 3174 vectors, across the 55/56/64-byte padding edges',
      run: (t) => {
        t.equal(hex(sha1(ascii(''))), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
        t.equal(hex(sha1(ascii('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
        t.equal(hex(sha1(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))), '84983e441c3bd26ebaae4aa1f95129e5e54670f1');
        const a = new Uint8Array(1000).fill(0x61);
        t.equal(hex(sha1(a)), '291e9a6c66994949b57ba5e650361e98fc36b1ba');
        return [55, 56, 63, 64, 65].map((n) => hex(sha1(new Uint8Array(n).fill(0x61))));
      },
    },
    {
      name: 'handshake: RFC 6455 section 1.3 accept value; the request carries what IoT Hub needs',
      run: (t) => {
        t.equal(acceptFor('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
        const req = buildRequest({ host: 'myhub.azure-devices.net', path: '/$iothub/websocket', key: 'dGhlIHNhbXBsZSBub25jZQ==', protocol: 'mqtt' });
        let text = '';
        for (let i = 0; i < req.length; i++) text += String.fromCharCode(req[i]);
        t.ok(text.startsWith('GET /$iothub/websocket HTTP/1.1\r\nHost: myhub.azure-devices.net\r\n'), text);
        t.ok(text.includes('\r\nSec-WebSocket-Version: 13\r\n') && text.includes('\r\nSec-WebSocket-Protocol: mqtt\r\n') && text.endsWith('\r\n\r\n'));
        t.throws(() => buildRequest({ host: 'a b', path: '/', key: 'k', protocol: 'mqtt' }), /free of spaces/);
        t.throws(() => buildRequest({ host: 'h', path: 'x', key: 'k', protocol: 'mqtt' }), /start with/);
        return text;
      },
    },
    {
      name: 'handshake reader: accepts byte by byte, hands back the first frame bytes, refuses what section 4.1 refuses',
      run: (t) => {
        const key = 'dGhlIHNhbXBsZSBub25jZQ==';
        const ok = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n';
        const r = new HandshakeReader(key, 'mqtt');
        const bytes = ascii(ok + '\x82\x00');
        const steps: string[] = [];
        for (let i = 0; i < bytes.length; i++) {
          const s = r.push(bytes.subarray(i, i + 1));
          if (s.kind !== 'more') steps.push(`${i}:${s.kind}:${s.kind === 'done' ? s.rest : ''}`);
          if (s.kind !== 'more') break;
        }
        t.equal(steps, [`${ok.length - 1}:done:1`]);
        const whole = new HandshakeReader(key, 'mqtt').push(bytes);
        t.equal(whole, { kind: 'done', rest: ok.length });
        const refuse = (text: string): string => {
          const s = new HandshakeReader(key, 'mqtt', 512).push(ascii(text));
          t.equal(s.kind, 'error', text);
          return s.kind === 'error' ? s.message : '';
        };
        return [
          refuse('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n'),
          refuse(ok.replace('101 Switching Protocols', '200 OK')),
          refuse('HTTP/1.0 101 x\r\n\r\n'),
          refuse(ok.replace('Upgrade: WebSocket\r\n', '')),
          refuse(ok.replace('keep-alive, Upgrade', 'keep-alive')),
          refuse(ok.replace('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 's3pPLMBiTxaQ9kYGzzhZRbK+xOp=')),
          refuse(ok.replace('Sec-WebSocket-Protocol: mqtt\r\n', '')),
          refuse(ok.replace('Sec-WebSocket-Protocol: mqtt', 'Sec-WebSocket-Protocol: mqttv3.1')),
          refuse(ok.replace('\r\n\r\n', '\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n')),
          refuse(ok.replace('Upgrade: WebSocket', 'no colon here')),
          refuse('HTTP/1.1 101 ' + 'x'.repeat(600)),
        ];
      },
    },
    {
      name: 'frames: RFC 6455 section 5.7 examples, encoded and decoded',
      run: (t) => {
        const hello = ascii('Hello');
        const out = new Uint8Array(32);
        let n = encodeFrame(out, OPCODE_TEXT, hello, 0, 5, undefined);
        t.equal(hex(out.subarray(0, n)), '810548656c6c6f');
        n = encodeFrame(out, OPCODE_TEXT, hello, 0, 5, Uint8Array.of(0x37, 0xfa, 0x21, 0x3d));
        t.equal(hex(out.subarray(0, n)), '818537fa213d7f9f4d5158');
        n = encodeFrame(out, OPCODE_PING, hello, 0, 5, undefined);
        t.equal(hex(out.subarray(0, n)), '890548656c6c6f');
        const big = new Uint8Array(headerLength(65536, false) + 65536);
        n = encodeFrame(big, OPCODE_BINARY, new Uint8Array(65536), 0, 65536, undefined);
        t.equal(hex(big.subarray(0, 10)), '827f0000000000010000');
        t.equal(n, 65546);
        const mid = new Uint8Array(300);
        n = encodeFrame(mid, OPCODE_BINARY, new Uint8Array(256), 0, 256, undefined);
        t.equal(hex(mid.subarray(0, 4)), '827e0100');
        t.throws(() => encodeFrame(new Uint8Array(6), OPCODE_BINARY, hello, 0, 5, undefined), /does not fit/);
        // Decoding: the unmasked ping and a fragmented binary message, "Hel" + "lo".
        const frames = [0x89, 0x05, ...hello, 0x02, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
        const events = decode(frames, 1);
        t.equal(events, [{ ping: Array.from(hello) }, { data: Array.from(hello) }]);
        return events;
      },
    },
    {
      name: 'decoder: the same stream gives the same bytes in every split; control frames between fragments',
      run: (t) => {
        const payload: number[] = [];
        for (let i = 0; i < 70000; i++) payload.push((i * 31) & 0xff);
        const stream = [
          ...serverFrame(OPCODE_BINARY, payload.slice(0, 100), false),
          ...serverFrame(OPCODE_PING, [1, 2, 3]),
          ...serverFrame(OPCODE_CONTINUATION, payload.slice(100, 70000), false),
          ...serverFrame(OPCODE_PONG, []),
          ...serverFrame(OPCODE_CONTINUATION, [], true),
          ...serverFrame(OPCODE_BINARY, [9]),
          ...serverFrame(OPCODE_CLOSE, [0x03, 0xe8, 0x62, 0x79, 0x65]),
          ...serverFrame(OPCODE_BINARY, [7]),
        ];
        const expected: Json[] = [{ data: payload.slice(0, 100) }, { ping: [1, 2, 3] }, { data: payload.slice(100) }, { pong: [] }, { data: [9] }, { close: 1000, reason: 'bye' }];
        for (const piece of [1, 2, 3, 13, 125, 4096, stream.length]) t.equal(decode(stream, piece), expected, `piece ${piece}`);
        return expected.length;
      },
    },
    {
      name: 'decoder: server-side mode unmasks what the client encoder masked, at any mask offset',
      run: (t) => {
        const payload: number[] = [];
        for (let i = 0; i < 1000; i++) payload.push((i * 7 + 3) & 0xff);
        const p = Uint8Array.from(payload);
        const out = new Uint8Array(headerLength(1000, true) + 1000);
        const n = encodeFrame(out, OPCODE_BINARY, p, 0, 1000, Uint8Array.of(1, 2, 3, 250));
        for (const piece of [1, 5, 300]) t.equal(decode(Array.from(out.subarray(0, n)), piece, { masked: true }), [{ data: payload }]);
        t.equal(errorCode(decode(serverFrame(OPCODE_BINARY, [1]), 1, { masked: true })), 1002, 'unmasked client frame');
        return hex(out.subarray(0, 12));
      },
    },
    {
      name: 'decoder: refuses what RFC 6455 and MQTT section 6 forbid, with the close status to send',
      run: (t) => {
        return [
          expectError(t, [0x92, 0x00], 1002, /reserved/),
          expectError(t, [0x83, 0x00], 1002, /opcode 3/),
          expectError(t, [0x8b, 0x00], 1002, /opcode 11/),
          expectError(t, [0x82, 0x81, 1, 2, 3, 4, 5], 1002, /masked server frame/),
          expectError(t, [0x09, 0x00], 1002, /fragmented control/),
          expectError(t, [0x89, 0x7e, 0x00, 0x7e], 1002, /longer than 125/),
          expectError(t, [0x81, 0x01, 0x41], 1003, /binary only/),
          expectError(t, [0x80, 0x01, 0x41], 1002, /no message open/),
          expectError(t, [0x02, 0x01, 0x41, 0x82, 0x00], 1002, /inside a fragmented/),
          expectError(t, [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1], 1002, /most significant bit/),
          expectError(t, [0x82, 0x7f, 0x00, 0x20, 0, 0, 0, 0, 0, 0], 1009, /over the/),
          expectError(t, [0x88, 0x01, 0x03], 1002, /1-byte/),
          expectError(t, [0x88, 0x02, 0x03, 0xed], 1002, /status 1005/),
          expectError(t, [0x88, 0x03, 0x03, 0xe8, 0xff], 1007, /UTF-8/),
          String(errorCode(decode([0x82, 0x7e, 0x01, 0x00], 1, { maxPayload: 255 }))),
          [999, 1000, 1004, 1005, 1006, 1011, 1015, 2999, 3000, 4999, 5000].filter(sendableCloseCode).join(','),
        ];
      },
    },
    {
      name: 'decoder: nothing is reported after a Close or an error',
      run: (t) => {
        t.equal(decode([...serverFrame(OPCODE_CLOSE, []), ...serverFrame(OPCODE_BINARY, [1])], 1), [{ close: null, reason: '' }]);
        t.equal(decode([0x83, 0x00, ...serverFrame(OPCODE_BINARY, [1])], 1).length, 1);
      },
    },
    {
      name: 'connection: handshake to IoT Hub name on 443, MQTT bytes both ways across frames and split reads',
      run: (t) => {
        const c = openClient(11, 100);
        t.equal(c.server.request.split('\r\n')[0], 'GET /$iothub/websocket HTTP/1.1');
        t.equal(c.server.header('host'), 'myhub.azure-devices.net');
        t.equal(c.conn.write(Uint8Array.of(1)), false, 'no writes before the upgrade');
        t.equal(c.log, []);
        // The 101 answer and the first frame in one read, split oddly.
        c.server.send(c.server.accept(serverFrame(OPCODE_BINARY, [0x20, 0x02, 0x00])), 7);
        t.equal(c.log, ['connect']);
        t.equal(c.got, [0x20, 0x02, 0x00]);
        const packet = new Uint8Array(250);
        for (let i = 0; i < 250; i++) packet[i] = i;
        t.equal(c.conn.write(packet), true);
        t.equal(c.server.writes.length, 4, 'the handshake, then 3 frames of at most 100 bytes');
        t.equal(c.server.received, Array.from(packet));
        const masks = c.server.writes.slice(1).map((w) => hex(w.subarray(2, 6)));
        t.ok(masks[0] !== masks[1] && masks[1] !== masks[2], 'a fresh mask per frame');
        // A ping is answered with a pong carrying its payload.
        c.server.send(serverFrame(OPCODE_PING, [5, 6]));
        t.equal(c.server.events, [{ kind: 'pong', bytes: [5, 6] }]);
        c.conn.close();
        t.equal(c.server.events[1], { kind: 'close', bytes: [], code: 1000 });
        t.ok(c.server.closedByClient);
        c.server.end();
        t.equal(c.log, ['connect', 'close']);
        t.equal(c.closed(), undefined);
        return masks;
      },
    },
    {
      name: 'connection: a refused upgrade, a protocol error and a server Close each end it with a clear code',
      run: (t) => {
        const refused = openClient();
        refused.server.send(Array.from(ascii('HTTP/1.1 401 Unauthorized\r\n\r\n')));
        t.ok(refused.server.closedByClient);
        refused.server.end();
        t.equal(refused.log, ['close']);
        const e1 = refused.closed() as ConnectionError;
        t.equal(e1.code, 'WS_HANDSHAKE');
        const bad = openClient();
        bad.server.send(bad.server.accept([0x81, 0x01, 0x41]));
        t.equal(bad.server.events, [{ kind: 'close', bytes: [], code: 1003 }]);
        bad.server.end();
        const e2 = bad.closed() as ConnectionError;
        t.equal(e2.code, 'WS_PROTOCOL');
        const bye = openClient();
        bye.server.send(bye.server.accept(serverFrame(OPCODE_CLOSE, [0x03, 0xf3])));
        t.equal(bye.server.events, [{ kind: 'close', bytes: [], code: 1011 }], 'the Close is echoed');
        bye.server.end();
        const e3 = bye.closed() as ConnectionError;
        t.equal(e3.code, 'CLOSED');
        const early = openClient();
        early.server.end();
        const e4 = early.closed() as ConnectionError;
        t.equal(e4.code, 'WS_HANDSHAKE');
        return [e1.message, e2.message, e3.message, e4.message];
      },
    },
    {
      name: "masking keys and the nonce: from the host's strong source when it has one (section 5.3), else from Random",
      run: (t) => {
        // A counting "strong" source: byte n of its stream is n & 0xff, so each key shows where it came from.
        let counter = 0;
        const fills: number[] = [];
        const randomBytes = (out: Uint8Array): void => {
          fills.push(out.length);
          for (let i = 0; i < out.length; i++) out[i] = counter++ & 0xff;
        };
        const notUsed = { next: () => 0.999 };
        const server = new FakeServer();
        const settings = { path: '/$iothub/websocket', protocol: 'mqtt', random: notUsed, randomBytes, maxFramePayload: 10 };
        const ignore = (): void => undefined;
        const handlers = { onConnect: ignore, onData: ignore, onClose: ignore };
        const conn = new WebSocketNetwork(server, settings).connect({ host: '127.0.0.1', port: 443, tls: {} }, handlers);
        server.open();
        const nonce: number[] = [];
        for (let i = 0; i < 16; i++) nonce.push(i);
        t.equal(server.header('sec-websocket-key'), base64Encode(Uint8Array.from(nonce)));
        server.send(server.accept([]));
        conn.write(new Uint8Array(50)); // five frames of 10 bytes
        const masks = server.writes.slice(1).map((w) => Array.from(w.subarray(2, 6)));
        const expected = [16, 20, 24, 28, 32].map((b) => [b, b + 1, b + 2, b + 3]);
        t.equal(masks, expected);
        t.equal(fills, [32, 32], 'drawn 32 bytes at a time');
        t.equal(server.received, new Array(50).fill(0));
        const strong = new MaskBytes(notUsed, randomBytes);
        const weak = new MaskBytes({ next: () => 0.5 });
        t.equal([strong.strong, weak.strong, weak.next(), weak.next()], [true, false, 128, 128]);
        return masks;
      },
    },
  ],
};
