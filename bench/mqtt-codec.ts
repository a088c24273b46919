/**
 * MQTT codec benchmark: encode and decode one QoS 1 PUBLISH (the device's telemetry: topic
 * `devices/thermo-01/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8`, 76-byte JSON
 * payload, 155 bytes on the wire) against mqtt-packet's generate() and parser, in the same
 * process, on the same bytes, in interleaved rounds (each round times every contender once, in
 * rotating order; the figure is the median over rounds).
 *
 *   encodeRatio  = ops/s of encode(packet, preallocated buffer, 0) / ops/s of mqtt.generate(packet)
 *   decodeRatio  = ops/s of Decoder.push(bytes) with copyPayload: false (payload is a view, as
 *                  mqtt-packet's is) / ops/s of parser.parse(bytes)
 *   decodeCopyRatio: the same with the default copyPayload: true (a fresh payload per packet)
 *   utf8 writer: hand-rolled charCodeAt loop vs TextEncoder.encodeInto on the topic (why the
 *                codec uses encodeInto), in V8 ops/s and XS computrons
 *   xsComputronsEncode / xsComputronsDecode (default copy mode) / xsComputronsDecodeShare:
 *                computrons per packet in XS, (command(N) - noop) / N, a loop iteration included.
 *   xsEncodeHeapDeltaSlots: live XS slots added by N encodes (gc before and after): 0 means
 *                encode allocates nothing that survives.
 *
 *   v5EncodeRatio / v5DecodeRatio: the same for MQTT 5.0 against mqtt-packet with protocolVersion 5,
 *                on a 5.0 QoS 1 PUBLISH with Payload Format Indicator, Content Type and a User
 *                Property (bench/xs/mqtt-codec-fixture benchPacket5); decode with payload views,
 *                as decodeRatio (and the session) does
 *   xsComputronsEncodeV5 / xsComputronsDecodeV5: computrons per 5.0 packet in XS.
 *
 * Goals: encodeRatio, decodeRatio, v5EncodeRatio and v5DecodeRatio >= 3 (exit 1 if missed).
 * Run: npm run bench:mqtt-codec [-- --rounds 15]   (writes bench/results/mqtt-codec.json)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import mqtt from 'mqtt-packet';
import { encode } from '../src/mqtt/codec';
import { Decoder } from '../src/mqtt/decoder';
import type { Packet } from '../src/mqtt/packets';
import { writeUtf8 } from '../src/text/utf8';
import { projectRoot, runInXs } from '../test/xs/lane';
import { benchPacket, benchPacket5, BENCH_TOPIC } from './xs/mqtt-codec-fixture';

const GOAL = 3;
const BATCH_MS = 40;

interface Contender {
  name: string;
  run(iterations: number): void;
}

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function opsPerSecond(c: Contender, iterations: number): number {
  const t0 = process.hrtime.bigint();
  c.run(iterations);
  const ns = Number(process.hrtime.bigint() - t0);
  return (iterations / ns) * 1e9;
}

function measureNode(rounds: number) {
  const packet = benchPacket();
  const out = new Uint8Array(1024);
  const length = encode(packet, out, 0);
  const wire = Buffer.from(out.subarray(0, length));
  const peerPacket = { cmd: 'publish' as const, topic: BENCH_TOPIC, payload: Buffer.from(packet.payload), qos: 1 as const, messageId: 4242, retain: false, dup: false };
  if (!mqtt.generate(peerPacket).equals(wire)) throw new Error('mqtt-packet generates different bytes for the bench packet');

  let sink = 0;
  const onPacket = (p: Packet): void => {
    if (p.type === 3) sink += p.payload.length;
  };
  const sharing = new Decoder({ onPacket, copyPayload: false });
  const copying = new Decoder({ onPacket });
  const parser = mqtt.parser();
  parser.on('packet', (p: mqtt.Packet) => {
    sink += (p as mqtt.IPublishPacket).payload.length;
  });
  parser.on('error', (e: Error) => {
    throw e;
  });
  // MQTT 5.0: the same bytes from both sides (properties in identifier order).
  const packet5 = benchPacket5();
  const out5 = new Uint8Array(1024);
  const length5 = encode(packet5, out5, 0, 5);
  const wire5 = Buffer.from(out5.subarray(0, length5));
  const peerPacket5 = {
    cmd: 'publish' as const,
    topic: packet5.topic,
    payload: Buffer.from(packet5.payload),
    qos: 1 as const,
    messageId: 4242,
    retain: false,
    dup: false,
    properties: { payloadFormatIndicator: true, contentType: 'application/json', userProperties: { sensor: '28-ff4a1b' } },
  };
  const v5 = { protocolVersion: 5 as const };
  if (!mqtt.generate(peerPacket5, v5).equals(wire5)) throw new Error('mqtt-packet generates different bytes for the 5.0 bench packet');
  const decoder5 = new Decoder({ onPacket, protocolVersion: 5, copyPayload: false });
  const parser5 = mqtt.parser(v5);
  parser5.on('packet', (p: mqtt.Packet) => {
    sink += (p as mqtt.IPublishPacket).payload.length;
  });
  parser5.on('error', (e: Error) => {
    throw e;
  });
  const encoder = new TextEncoder();
  const contenders: Contender[] = [
    { name: 'encode v5', run: (n) => { for (let i = 0; i < n; i++) sink += encode(packet5, out5, 0, 5); } },
    { name: 'mqtt-packet generate v5', run: (n) => { for (let i = 0; i < n; i++) sink += mqtt.generate(peerPacket5, v5).length; } },
    { name: 'decode v5', run: (n) => { for (let i = 0; i < n; i++) decoder5.push(wire5); } },
    { name: 'mqtt-packet parse v5', run: (n) => { for (let i = 0; i < n; i++) parser5.parse(wire5); } },
    { name: 'encode', run: (n) => { for (let i = 0; i < n; i++) sink += encode(packet, out, 0); } },
    { name: 'mqtt-packet generate', run: (n) => { for (let i = 0; i < n; i++) sink += mqtt.generate(peerPacket).length; } },
    { name: 'decode (views)', run: (n) => { for (let i = 0; i < n; i++) sharing.push(wire); } },
    { name: 'decode (copies)', run: (n) => { for (let i = 0; i < n; i++) copying.push(wire); } },
    { name: 'mqtt-packet parse', run: (n) => { for (let i = 0; i < n; i++) parser.parse(wire); } },
    { name: 'utf8 hand-rolled', run: (n) => { for (let i = 0; i < n; i++) sink += writeUtf8(BENCH_TOPIC, out, 5); } },
    { name: 'utf8 encodeInto', run: (n) => { for (let i = 0; i < n; i++) sink += encoder.encodeInto(BENCH_TOPIC, out.subarray(5)).written; } },
  ];
  // Warm up and size each batch to about BATCH_MS.
  const iterations = contenders.map((c) => {
    let n = 1000;
    for (;;) {
      const t0 = Date.now();
      c.run(n);
      if (Date.now() - t0 >= 10) break;
      n *= 2;
    }
    return Math.max(1000, Math.round(n * (BATCH_MS / 10)));
  });
  const samples = contenders.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + r) % contenders.length; // rotate the order every round
      samples[i].push(opsPerSecond(contenders[i], iterations[i]));
    }
  }
  if (sink === 0) throw new Error('nothing measured');
  const opsPerSec = Object.fromEntries(contenders.map((c, i) => [c.name, Math.round(median(samples[i]))]));
  return { packetBytes: length, opsPerSec, rounds };
}

function measureXs(n: number) {
  const entry = path.join(projectRoot, 'bench/xs/mqtt-codec-entry.ts');
  const commands = [
    { op: 'length' },
    { op: 'encode', arg: 100 },
    { op: 'decodeCopy', arg: 100 },
    { op: 'decodeShare', arg: 100 },
    { op: 'gc' },
    { op: 'noop' },
    { op: 'encode', arg: n },
    { op: 'gc' },
    { op: 'noop' },
    { op: 'decodeCopy', arg: n },
    { op: 'noop' },
    { op: 'decodeShare', arg: n },
    { op: 'noop' },
    { op: 'utf8HandRolled', arg: n },
    { op: 'noop' },
    { op: 'utf8EncodeInto', arg: n },
    { op: 'check' },
    { op: 'noop' },
    { op: 'encode5', arg: n },
    { op: 'noop' },
    { op: 'decode5', arg: n },
  ];
  const r = runInXs(entry, commands);
  const failed = r.find((x) => !x.reply.ok);
  if (failed && !failed.reply.ok) throw new Error(`XS bench command failed: ${failed.reply.error}`);
  const check = r[16].reply.ok ? (r[16].reply.value as { received: number }) : { received: -1 };
  if (check.received !== 2 * n + 200) throw new Error(`XS decoded ${check.received} packets, expected ${2 * n + 200}`);
  const per = (i: number, noop: number) => (r[i].compute - r[noop].compute) / n;
  return {
    packetBytes: r[0].reply.ok ? (r[0].reply.value as number) : -1,
    packets: n,
    xsComputronsEncode: per(6, 5),
    xsComputronsDecode: per(9, 8),
    xsComputronsDecodeShare: per(11, 10),
    xsComputronsUtf8HandRolled: per(13, 12),
    xsComputronsUtf8EncodeInto: per(15, 14),
    xsEncodeHeapDeltaSlots: r[7].currentHeapCount - r[4].currentHeapCount,
    xsComputronsEncodeV5: per(18, 17),
    xsComputronsDecodeV5: per(20, 19),
  };
}

function main(): void {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const node = measureNode(arg('--rounds', 15));
  const xs = measureXs(arg('--xs-packets', 10_000));
  const o = node.opsPerSec;
  const result = {
    packet: { topic: BENCH_TOPIC, payloadBytes: 76, qos: 1, wireBytes: node.packetBytes },
    encodeRatio: o['encode'] / o['mqtt-packet generate'],
    decodeRatio: o['decode (views)'] / o['mqtt-packet parse'],
    decodeCopyRatio: o['decode (copies)'] / o['mqtt-packet parse'],
    v5EncodeRatio: o['encode v5'] / o['mqtt-packet generate v5'],
    v5DecodeRatio: o['decode v5'] / o['mqtt-packet parse v5'],
    utf8EncodeIntoVsHandRolledNode: o['utf8 encodeInto'] / o['utf8 hand-rolled'],
    ...xs,
    utf8EncodeIntoVsHandRolledXs: xs.xsComputronsUtf8HandRolled / xs.xsComputronsUtf8EncodeInto,
    node: node,
    node_version: process.version,
    goals: { encodeRatio: GOAL, decodeRatio: GOAL, v5EncodeRatio: GOAL, v5DecodeRatio: GOAL },
    ok: false,
  };
  result.ok = result.encodeRatio >= GOAL && result.decodeRatio >= GOAL && result.v5EncodeRatio >= GOAL && result.v5DecodeRatio >= GOAL;
  console.table(Object.entries(o).map(([name, ops]) => ({ contender: name, 'ops/s (median)': ops })));
  const round = (x: number) => Math.round(x * 100) / 100;
  console.table({
    encodeRatio: round(result.encodeRatio),
    decodeRatio: round(result.decodeRatio),
    decodeCopyRatio: round(result.decodeCopyRatio),
    v5EncodeRatio: round(result.v5EncodeRatio),
    v5DecodeRatio: round(result.v5DecodeRatio),
    xsComputronsEncodeV5: round(xs.xsComputronsEncodeV5),
    xsComputronsDecodeV5: round(xs.xsComputronsDecodeV5),
    'utf8 encodeInto/hand-rolled (V8)': round(result.utf8EncodeIntoVsHandRolledNode),
    xsComputronsEncode: round(xs.xsComputronsEncode),
    xsComputronsDecode: round(xs.xsComputronsDecode),
    xsComputronsDecodeShare: round(xs.xsComputronsDecodeShare),
    'utf8 hand-rolled/encodeInto (XS computrons)': round(result.utf8EncodeIntoVsHandRolledXs),
    xsEncodeHeapDeltaSlots: xs.xsEncodeHeapDeltaSlots,
  });
  const file = path.join(projectRoot, 'bench/results/mqtt-codec.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${path.relative(projectRoot, file)}`);
  if (!result.ok) {
    console.error(`mqtt-codec bench: goal missed (encodeRatio, decodeRatio, v5EncodeRatio and v5DecodeRatio must be >= ${GOAL})`);
    process.exit(1);
  }
}

main();
