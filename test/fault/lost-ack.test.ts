/**
 * Regression: a PUBACK that never arrives while the connection stays healthy (pings answered)
 * used to leave the message in flight forever: MQTT 3.1.1 resends only on reconnect, and nothing
 * ended the connection, so with a full window telemetry stopped for good. Found by the fault
 * proxy flipping one bit of a PUBACK's packet id (the session ignores a PUBACK for an unknown
 * id). The session now bounds the wait (ackTimeoutMs, default 30 s): it declares the connection
 * dead, and the reconnect resends the message with DUP=1.
 */
import { describe, expect, it } from 'vitest';
import { MqttClient } from '../../src/mqtt/client';
import { FakeClock, FakeTimers } from '../device/fake-host';
import { seededRandom } from '../soak/rng';
import { SimBroker } from './sim-broker';

function run(): { acked: number; published: number; attempts: number } {
  const clock = new FakeClock();
  const timers = new FakeTimers(clock);
  let dropped = false;
  const broker = new SimBroker(clock, timers, {
    latencyMs: 5,
    // Lose exactly one acknowledgement, the first time message 3 is sent.
    dropPuback: (p) => {
      if (!dropped && new TextDecoder().decode(p.payload) === '3') return (dropped = true);
      return false;
    },
  });
  let acked = 0;
  const client = new MqttClient(
    { host: 'sim', port: 1883, clientId: 'lost-ack', cleanSession: false, keepAlive: 10, inflightWindow: 1 },
    { clock, timers, network: broker, random: seededRandom(1) },
    { onPublishAcked: () => acked++ },
  );
  client.start();
  timers.advance(100);
  let published = 0;
  for (let i = 0; i < 10; i++) {
    client.publish('t', new TextEncoder().encode(String(i)), { qos: 1 });
    published++;
    timers.advance(1000);
  }
  // Ten minutes of a healthy connection (keepalive 10 s).
  timers.advance(600_000);
  client.close();
  return { acked, published, attempts: broker.stats.attempts };
}

describe('fault: an acknowledgement lost without a disconnect', () => {
  it('the acknowledgement timeout reconnects and every message is eventually acknowledged', () => {
    const r = run();
    expect(r.published).toBe(10);
    expect(r.acked).toBe(10);
    // One reconnect to recover, not a storm.
    expect(r.attempts).toBe(2);
  });
});
