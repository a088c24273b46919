/**
 * Property and fuzz tests for the WebSocket framing (src/websocket) with fast-check: generated
 * frame streams (fragmented binary messages, control frames between fragments, lengths across
 * the 7/16/64-bit boundaries) split at random must decode to the same bytes; masked frames must
 * unmask; mutated and random streams (bit flips, truncation, oversized and top-bit 64-bit
 * lengths, reserved bits, stray opcodes) must never let an exception escape and must end in at
 * most one terminal event; the connection over an in-memory server must survive the same, and
 * a cut at any byte of a frame must close it once, having delivered a prefix of the data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConnectionError } from '../../src/platform';
import { FrameDecoder } from '../../src/websocket/decoder';
import { encodeFrame, headerLength, OPCODE_BINARY, OPCODE_CLOSE, OPCODE_CONTINUATION, OPCODE_PING, OPCODE_PONG } from '../../src/websocket/frame';
import { WebSocketNetwork } from '../../src/websocket/network';
import { FakeServer, seededRandom, serverFrame } from './fake-server';

interface Decoded {
  data: Buffer;
  pings: number[][];
  terminal: string[];
  afterTerminal: number;
}

function run(stream: Uint8Array, cuts: number[], masked = false, maxPayload?: number): Decoded {
  const out: Decoded = { data: Buffer.alloc(0), pings: [], terminal: [], afterTerminal: 0 };
  const chunks: Buffer[] = [];
  const seen = (): void => {
    if (out.terminal.length) out.afterTerminal++;
  };
  const d = new FrameDecoder(
    {
      onData: (b) => {
        seen();
        chunks.push(Buffer.from(b));
      },
      onPing: (p) => (seen(), out.pings.push(Array.from(p))),
      onPong: () => seen(),
      onClose: (code) => (seen(), out.terminal.push(`close ${code}`)),
      onError: (code) => (seen(), out.terminal.push(`error ${code}`)),
    },
    { masked, maxPayload },
  );
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < stream.length).sort((a, b) => a - b), stream.length]) {
    d.push(stream.subarray(at, cut));
    at = cut;
  }
  out.data = Buffer.concat(chunks);
  return out;
}

/** One message: fragments with control frames between them. */
const message = fc.record({
  fragments: fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 }),
  pings: fc.array(fc.uint8Array({ maxLength: 125 }), { maxLength: 3 }),
  big: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 126, 65535, 65536, 70000),
});

function frame(opcode: number, payload: Uint8Array, fin = true): Buffer {
  const out = Buffer.alloc(headerLength(payload.length, false) + payload.length);
  encodeFrame(out, opcode, payload, 0, payload.length, undefined, fin);
  return out;
}

function buildStream(messages: { fragments: Uint8Array[]; pings: Uint8Array[]; big: number }[]): { stream: Buffer; data: Buffer; pings: number[][] } {
  const stream: Buffer[] = [];
  const data: Uint8Array[] = [];
  const pings: number[][] = [];
  for (const m of messages) {
    const fragments = m.big ? [...m.fragments, new Uint8Array(m.big).fill(0xa5)] : m.fragments;
    fragments.forEach((f, i) => {
      stream.push(frame(i === 0 ? OPCODE_BINARY : OPCODE_CONTINUATION, f, i === fragments.length - 1));
      data.push(f);
      const ping = m.pings[i];
      if (ping && i < fragments.length - 1) {
        stream.push(frame(i % 2 ? OPCODE_PONG : OPCODE_PING, ping));
        if (i % 2 === 0) pings.push(Array.from(ping));
      }
    });
  }
  return { stream: Buffer.concat(stream), data: Buffer.concat(data), pings };
}

const cutsArb = fc.array(fc.nat({ max: 200_000 }), { maxLength: 12 });

describe('websocket fuzz', () => {
  it('valid streams decode to the same bytes and pings whatever the split (fragmentation, control frames, 7/16/64-bit lengths)', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), cutsArb, (messages, cuts) => {
        const { stream, data, pings } = buildStream(messages);
        const got = run(stream, cuts);
        expect(got.terminal).toEqual([]);
        expect(got.data.length).toBe(data.length);
        expect(got.data.equals(data)).toBe(true);
        expect(got.pings).toEqual(pings);
      }),
      { numRuns: 300 },
    );
  });

  it('masking: whatever the key, length and split, the server-side decoder recovers the payload', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), fc.uint8Array({ minLength: 4, maxLength: 4 }), cutsArb, (payload, mask, cuts) => {
        const out = new Uint8Array(headerLength(payload.length, true) + payload.length);
        const n = encodeFrame(out, OPCODE_BINARY, payload, 0, payload.length, mask);
        expect(n).toBe(out.length);
        // The payload on the wire is masked: byte i XOR key[i mod 4] (RFC 6455 section 5.3).
        const wire = out.subarray(n - payload.length);
        for (let i = 0; i < payload.length; i++) if (wire[i] !== (payload[i] ^ mask[i & 3])) expect.fail(`byte ${i} not masked`);
        const got = run(out, cuts, true);
        expect(got.terminal).toEqual([]);
        expect(got.data.equals(Buffer.from(payload))).toBe(true);
        // The client decoder refuses the same frame: servers never mask.
        expect(run(out, cuts).terminal).toEqual(['error 1002']);
      }),
      { numRuns: 200 },
    );
  });

  it('mutated streams (bit flips, truncation, oversized or top-bit lengths) never throw and end at most once', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('length64' as const), high: fc.nat({ max: 0xffffffff }), low: fc.nat({ max: 0xffffffff }) }),
      fc.record({ kind: fc.constant('control' as const), opcode: fc.nat({ max: 15 }), length: fc.nat({ max: 127 }), fin: fc.boolean() }),
    );
    let errors = 0;
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 3 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), cutsArb, fc.nat({ max: 100_000 }), (messages, mutations, cuts, maxPayload) => {
        let bytes = Buffer.from(buildStream(messages).stream);
        for (const m of mutations) {
          if (m.kind === 'flip' && bytes.length) bytes[m.at % bytes.length] ^= 1 << m.bit;
          else if (m.kind === 'truncate') bytes = bytes.subarray(0, m.at % (bytes.length + 1));
          else if (m.kind === 'length64') {
            const head = Buffer.alloc(10);
            head[0] = 0x82;
            head[1] = 0x7f;
            head.writeUInt32BE(m.high, 2);
            head.writeUInt32BE(m.low, 6);
            bytes = Buffer.concat([head, bytes]);
          } else if (m.kind === 'control') bytes = Buffer.concat([bytes, Buffer.from([(m.fin ? 0x80 : 0) | m.opcode, m.length]), Buffer.alloc(Math.min(m.length, 125), 0x41)]);
        }
        const got = run(bytes, cuts, false, maxPayload + 1);
        expect(got.terminal.length).toBeLessThanOrEqual(1);
        expect(got.afterTerminal).toBe(0);
        if (got.terminal.length && got.terminal[0].startsWith('error')) errors++;
      }),
      { numRuns: 400 },
    );
    expect(errors).toBeGreaterThan(50);
  });

  it('random bytes never throw: top-bit 64-bit lengths are 1002, lengths over the limit 1009', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), cutsArb, (bytes, cuts) => {
        const got = run(bytes, cuts, false, 1000);
        expect(got.terminal.length).toBeLessThanOrEqual(1);
        expect(got.afterTerminal).toBe(0);
      }),
      { numRuns: 1000 },
    );
    expect(run(Uint8Array.of(0x82, 0x7f, 0xff, 0, 0, 0, 0, 0, 0, 0), []).terminal).toEqual(['error 1002']);
    expect(run(Uint8Array.of(0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0x10, 0), [], false, 1000).terminal).toEqual(['error 1009']);
  });

  it('the connection: random server bytes after the upgrade never throw; it closes once, with a close frame sent on errors', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 2 }), fc.uint8Array({ maxLength: 400 }), cutsArb, fc.integer({ min: 1, max: 2 ** 31 }), (messages, noise, cuts, seed) => {
        const server = new FakeServer();
        const closes: (ConnectionError | undefined)[] = [];
        const data: number[] = [];
        const conn = new WebSocketNetwork(server, { path: '/$iothub/websocket', protocol: 'mqtt', random: seededRandom(seed) }).connect(
          { host: 'h.example', port: 443, tls: {} },
          {
            onConnect: () => conn.write(Uint8Array.of(0x10, 0x00)),
            onData: (b) => {
              for (let i = 0; i < b.length; i++) data.push(b[i]);
            },
            onClose: (e) => closes.push(e),
          },
        );
        server.open();
        const { stream, data: expected } = buildStream(messages);
        const all = Buffer.concat([Buffer.from(server.accept()), stream, noise]);
        let at = 0;
        for (const cut of [...cuts.filter((c) => c > 0 && c < all.length).sort((a, b) => a - b), all.length]) {
          server.send(Array.from(all.subarray(at, cut)));
          at = cut;
        }
        expect(Buffer.from(data.slice(0, expected.length)).equals(expected)).toBe(true);
        expect(server.received.slice(0, 2)).toEqual([0x10, 0x00]);
        const errorOrClose = server.events.filter((e) => e.kind === 'close');
        if (server.closedByClient) expect(errorOrClose.length).toBeLessThanOrEqual(1);
        server.end({ code: 'ECONNRESET', message: 'cut' });
        server.end({ code: 'ECONNRESET', message: 'twice' });
        expect(closes.length).toBe(1);
        expect(['ECONNRESET', 'WS_PROTOCOL', 'CLOSED']).toContain(closes[0]?.code);
      }),
      { numRuns: 300 },
    );
  });

  it('a cut at any byte of the handshake or a frame closes the connection once, after a prefix of the data', () => {
    const payload = Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
    const frames = [...serverFrame(OPCODE_BINARY, payload.slice(0, 1000), false), ...serverFrame(OPCODE_PING, [1]), ...serverFrame(OPCODE_CONTINUATION, payload.slice(1000))];
    fc.assert(
      fc.property(fc.nat(), (where) => {
        const server = new FakeServer();
        const closes: (ConnectionError | undefined)[] = [];
        const data: number[] = [];
        let connected = false;
        new WebSocketNetwork(server, { path: '/$iothub/websocket', protocol: 'mqtt', random: seededRandom(where + 1) }).connect(
          { host: 'h.example', port: 443, tls: {} },
          {
            onConnect: () => (connected = true),
            onData: (b) => {
              for (let i = 0; i < b.length; i++) data.push(b[i]);
            },
            onClose: (e) => closes.push(e),
          },
        );
        server.open();
        const all = [...server.accept(), ...frames];
        const cut = where % all.length;
        server.send(all.slice(0, cut));
        server.end({ code: 'ECONNRESET', message: 'cut' });
        expect(closes.length).toBe(1);
        expect(data).toEqual(payload.slice(0, data.length));
        if (!connected) expect(closes[0]?.code).toBe('ECONNRESET');
      }),
      { numRuns: 500 },
    );
  });

  it('control frames the server may send (Close with any code and reason) end in one terminal event', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffff }), fc.string({ maxLength: 60 }), (code, reason) => {
        const payload = [code >>> 8, code & 0xff, ...Buffer.from(reason, 'utf8')].slice(0, 125);
        const got = run(Uint8Array.from(serverFrame(OPCODE_CLOSE, payload)), []);
        expect(got.terminal.length).toBe(1);
      }),
      { numRuns: 500 },
    );
  });
});
