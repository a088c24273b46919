/**
 * XS entry for bench/mqtt-session.ts: the client-level publish path. Each command publishes N
 * QoS 1 messages through Session (the benchmark topic and payload, as the device sends them) and
 * hands each one's PUBACK back to the session, so (command(N) - noop) / N is the cost of one
 * message through Session: measure, encode, onSend, decode the PUBACK, acknowledge.
 * `publish5` does the same in MQTT 5.0, with the PUBACK a broker sends for a topic nobody
 * subscribes to (40 03 id id 10: No matching subscribers), as mosquitto and Event Grid do.
 */
import { serve } from '../../test/xs/serve';
import { PUBLISH_QUEUED, Session } from '../../src/mqtt/session';
import { benchPayload, BENCH_TOPIC } from './mqtt-codec-fixture';

function createBench(version: 4 | 5) {
  const state = { sent: 0, sentBytes: 0, acked: 0, errors: 0 };
  const session = new Session(
    { clientId: 'thermo-01', keepAlive: 0, ackTimeoutMs: 0, protocolVersion: version },
    {
      onSend: (bytes) => {
        state.sent++;
        state.sentBytes += bytes.length;
      },
      onPublishAcked: () => {
        state.acked++;
      },
      onError: () => {
        state.errors++;
      },
    },
  );
  const payload = benchPayload();
  const options = { qos: 1 as const };
  const puback = version === 5 ? new Uint8Array([0x40, 3, 0, 0, 0x10]) : new Uint8Array([0x40, 2, 0, 0]);
  session.connect({ username: 'u' }, 0);
  session.receive(version === 5 ? new Uint8Array([0x20, 3, 0, 0, 0]) : new Uint8Array([0x20, 2, 0, 0]), 0);
  return {
    publish: (n: unknown) => {
      for (let i = 0; i < (n as number); i++) {
        const id = session.publish(BENCH_TOPIC, payload, options, i);
        if (id <= 0 && id !== PUBLISH_QUEUED) state.errors++;
        puback[2] = id >> 8;
        puback[3] = id & 0xff;
        session.receive(puback, i);
      }
      return state.acked;
    },
    check: () => ({ ...state, state: session.state, inflight: session.inflightCount }),
  };
}

const bench = createBench(4);
const bench5 = createBench(5);
serve({
  publish: (n) => bench.publish(n),
  check: () => bench.check(),
  publish5: (n) => bench5.publish(n),
  check5: () => bench5.check(),
});
