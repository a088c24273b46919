/**
 * Fuzz worker, run in its own Node process with --expose-gc (see ./fuzz.ts): `count` mutated
 * packets (test/mqtt/fuzz-corpus) through a Decoder, `count` through a Session, and `count`
 * mutated MQTT 5.0 packets through a 5.0 Decoder, with random chunking. Reports escaped exceptions, the slowest single input (a hang shows up here, and
 * the parent's timeout bounds the whole run), and the heap after a forced GC before and after.
 *
 *   node --expose-gc --import tsx test/soak/fuzz-worker.ts <count> <seed>   -> one JSON line
 */
import { performance } from 'node:perf_hooks';
import { Decoder } from '../../src/mqtt/decoder';
import { PacketType } from '../../src/mqtt/packets';
import { Session } from '../../src/mqtt/session';
import { chunkings, encodePacket, fuzzPackets, rng32 } from '../mqtt/fuzz-corpus';

const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const rng = rng32(seed);
let escaped = 0;
let firstEscape = '';
let slowestMs = 0;
let decoderErrors = 0;
let decoderPackets = 0;
let sessionCloses = 0;
let sessionMessages = 0;

const decoder = new Decoder({ maxPacketSize: 64 * 1024, onPacket: () => void decoderPackets++, onError: () => void decoderErrors++ });
const session = new Session(
  { clientId: 'fuzz', keepAlive: 60, cleanSession: false },
  { onSend: () => undefined, onMessage: () => void sessionMessages++, onClose: () => void sessionCloses++ },
);
const connack = encodePacket({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0 });
const payload = new Uint8Array(16);
let now = 0;

function one(input: Uint8Array, toSession: boolean): void {
  const t0 = performance.now();
  try {
    if (!toSession) {
      for (const chunk of chunkings(input, rng)) decoder.push(chunk);
      if (decoder.error || rng() < 0.5) decoder.reset();
    } else {
      now += 1 + Math.floor(rng() * 500);
      if (session.state === 'disconnected') {
        session.connect({ username: 'u', password: payload }, now);
        if (rng() < 0.8) session.receive(connack, now);
      }
      const r = rng();
      if (r < 0.05) session.publish('devices/fuzz/messages/events/', payload, { qos: 1 }, now);
      else if (r < 0.06) session.subscribe([{ topicFilter: 'devices/fuzz/messages/devicebound/#', qos: 1 }], now);
      for (const chunk of chunkings(input, rng)) session.receive(chunk, now);
      session.tick(now);
    }
  } catch (e) {
    escaped++;
    if (!firstEscape) firstEscape = String((e as Error)?.stack ?? e);
  }
  const dt = performance.now() - t0;
  if (dt > slowestMs) slowestMs = dt;
}

const warm = Math.min(20_000, Math.floor(count / 10));
let i = 0;
const started = performance.now();
const corpus = fuzzPackets(count * 2, seed);
let heapBefore = 0;
for (const input of corpus) {
  if (i === warm * 2) heapBefore = heap();
  one(input, (i & 1) === 1);
  i++;
}
let decoder5Inputs = 0;
const decoder5 = new Decoder({ maxPacketSize: 64 * 1024, protocolVersion: 5, onPacket: () => void decoderPackets++, onError: () => void decoderErrors++ });
for (const input of fuzzPackets(count, seed + 1, 5)) {
  const t0 = performance.now();
  try {
    for (const chunk of chunkings(input, rng)) decoder5.push(chunk);
    if (decoder5.error || rng() < 0.5) {
      decoder5.reset();
      decoder5.protocolVersion = 5;
    }
  } catch (e) {
    escaped++;
    if (!firstEscape) firstEscape = String((e as Error)?.stack ?? e);
  }
  const dt = performance.now() - t0;
  if (dt > slowestMs) slowestMs = dt;
  decoder5Inputs++;
}
const heapAfter = heap();
process.stdout.write(
  JSON.stringify({
    inputs: i,
    decoderInputs: Math.ceil(i / 2),
    sessionInputs: Math.floor(i / 2),
    decoder5Inputs,
    escaped,
    firstEscape,
    slowestInputMs: slowestMs,
    decoderErrors,
    decoderPackets,
    sessionCloses,
    sessionMessages,
    heapBefore,
    heapAfter,
    heapDelta: heapAfter - heapBefore,
    durationMs: performance.now() - started,
  }) + '\n',
);
