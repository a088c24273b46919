/**
 * XS entry for bench/mqtt-codec.ts: encode and decode the benchmark PUBLISH N times per command,
 * so a command's computrons divided by N is the per-packet cost (plus a loop iteration).
 */
import { serve } from '../../test/xs/serve';
import { encode } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import type { Packet } from '../../src/mqtt/packets';
import { writeUtf8 } from '../../src/text/utf8';
import { benchPacket, benchPacket5, BENCH_TOPIC } from './mqtt-codec-fixture';

function createBench() {
  const packet = benchPacket();
  const out = new Uint8Array(512);
  const length = encode(packet, out, 0);
  const wire = out.slice(0, length);
  const state = { received: 0, bytes: 0 };
  const onPacket = (p: Packet): void => {
    state.received++;
    if (p.type === 3) state.bytes += p.payload.length;
  };
  const copying = new Decoder({ onPacket });
  const sharing = new Decoder({ onPacket, copyPayload: false });
  const packet5 = benchPacket5();
  const length5 = encode(packet5, out, 0, 5);
  const wire5 = out.slice(0, length5);
  const sharing5 = new Decoder({ onPacket, protocolVersion: 5, copyPayload: false });
  const encoder = typeof TextEncoder === 'function' ? new TextEncoder() : undefined;
  return {
    length: () => length,
    encode: (n: unknown) => {
      let total = 0;
      for (let i = 0; i < (n as number); i++) total += encode(packet, out, 0);
      return total;
    },
    decodeCopy: (n: unknown) => {
      for (let i = 0; i < (n as number); i++) copying.push(wire);
      return state.received;
    },
    encode5: (n: unknown) => {
      let total = 0;
      for (let i = 0; i < (n as number); i++) total += encode(packet5, out, 0, 5);
      return total;
    },
    decode5: (n: unknown) => {
      for (let i = 0; i < (n as number); i++) sharing5.push(wire5);
      return state.received;
    },
    decodeShare: (n: unknown) => {
      for (let i = 0; i < (n as number); i++) sharing.push(wire);
      return state.received;
    },
    utf8HandRolled: (n: unknown) => {
      let total = 0;
      for (let i = 0; i < (n as number); i++) total += writeUtf8(BENCH_TOPIC, out, 5);
      return total;
    },
    utf8EncodeInto: (n: unknown) => {
      if (!encoder) return -1;
      let total = 0;
      for (let i = 0; i < (n as number); i++) total += encoder.encodeInto(BENCH_TOPIC, out.subarray(5)).written;
      return total;
    },
    check: () => ({ received: state.received, bytes: state.bytes }),
  };
}

const bench = createBench();
serve({
  length: () => bench.length(),
  encode: (n) => bench.encode(n),
  decodeCopy: (n) => bench.decodeCopy(n),
  decodeShare: (n) => bench.decodeShare(n),
  encode5: (n) => bench.encode5(n),
  decode5: (n) => bench.decode5(n),
  utf8HandRolled: (n) => bench.utf8HandRolled(n),
  utf8EncodeInto: (n) => bench.utf8EncodeInto(n),
  check: () => bench.check(),
});
