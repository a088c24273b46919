/**
 * XS entry for bench/mqtt-session.ts: the client-level publish path. Each command publishes N
 * QoS 1 messages through Session (the benchmark topic and payload, as the device sends them) and
 * hands each one's PUBACK back to the session, so (command(N) - noop) / N is the cost of one
 * message through Session: measure, encode, onSend, decode the PUBACK, acknowledge.
 */
import { serve } from '../../test/xs/serve';
import { PUBLISH_QUEUED, Session } from '../../src/mqtt/session';
import { benchPayload, BENCH_TOPIC } from './mqtt-codec-fixture';

function createBench() {
  const state = { sent: 0, sentBytes: 0, acked: 0, errors: 0 };
  const session = new Session(
    { clientId: 'thermo-01', keepAlive: 0, ackTimeoutMs: 0 },
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
  const puback = new Uint8Array([0x40, 2, 0, 0]);
  session.connect({ username: 'u' }, 0);
  session.receive(new Uint8Array([0x20, 2, 0, 0]), 0);
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

const bench = createBench();
serve({
  publish: (n) => bench.publish(n),
  check: () => bench.check(),
});
