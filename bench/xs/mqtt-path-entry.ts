/**
 * XS entry for bench/mqtt-session.ts: the path a device's telemetry message really takes, above
 * the Session. Each command sends N messages and hands each one's PUBACK back:
 *
 *   device(N)      HubConnection.sendTelemetry (src/device/adapters/hub: the port the device's
 *                  pump calls) with the benchmark JSON and the device's telemetry properties ->
 *                  HubClient.publishTelemetry (topic, UTF-8) -> MqttClient -> Session -> encode
 *                  -> Connection.write; the PUBACK into Connection's onData -> MqttClient ->
 *                  Session -> HubClient -> the pump's completion callback.
 *   deviceReal(N)  the same with a real telemetry message of 3 sensors (the device's JSON).
 *   application(N) what the device does per telemetry message on top: the JSON
 *                  (telemetryMessage), the outbox (push, take, acknowledge), then deviceReal's path.
 *
 * The transport is a loopback standing in for the host's socket: CONNACK and SUBACK answered at
 * setup, and write() reading the packet id of each PUBLISH (its only per-message work).
 */
import { serve } from '../../test/xs/serve';
import { HubClientConnection } from '../../src/device/adapters/hub';
import { Outbox } from '../../src/device/outbox';
import { telemetryMessage, type SensorSnapshot } from '../../src/device/telemetry';
import type { Connection, ConnectionHandlers, Network } from '../../src/platform';
import { FakeClock, FakeTimers, MemoryStorage } from '../../test/device/fake-host';
import { testCrypto } from '../../test/iothub/sha256';
import { BENCH_JSON } from './mqtt-codec-fixture';

class Loopback implements Network {
  handlers: ConnectionHandlers | undefined;
  readonly replies: Uint8Array[] = [];
  lastId = 0;
  writes = 0;
  connect(_options: unknown, handlers: ConnectionHandlers): Connection {
    this.handlers = handlers;
    return {
      write: (data) => {
        this.writes++;
        const type = data[0] >> 4;
        if (type === 3) {
          // PUBLISH: the packet id follows the topic (remaining length of 1 or 2 bytes here).
          const o = data[1] < 128 ? 2 : 3;
          const at = o + 2 + ((data[o] << 8) | data[o + 1]);
          this.lastId = (data[at] << 8) | data[at + 1];
        } else if (type === 1) {
          this.replies.push(new Uint8Array([0x20, 2, 0, 0]));
        } else if (type === 8) {
          this.replies.push(suback(data));
        }
        return true;
      },
      close: () => {},
    };
  }
  flush(): void {
    while (this.replies.length > 0) this.handlers?.onData(this.replies.shift() as Uint8Array);
  }
}

/** A SUBACK granting QoS 1 to every filter of a SUBSCRIBE. */
function suback(data: Uint8Array): Uint8Array {
  let o = 1;
  let remaining = 0;
  let shift = 0;
  let b: number;
  do {
    b = data[o++];
    remaining |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  const end = o + remaining;
  const id = (data[o] << 8) | data[o + 1];
  o += 2;
  const codes: number[] = [];
  while (o < end) {
    o += 2 + ((data[o] << 8) | data[o + 1]) + 1;
    codes.push(1);
  }
  return new Uint8Array([0x90, 2 + codes.length, id >> 8, id & 0xff].concat(codes));
}

function createBench() {
  const clock = new FakeClock();
  clock.epochBase = Date.UTC(2026, 0, 1);
  const timers = new FakeTimers(clock);
  const net = new Loopback();
  const hub = new HubClientConnection(
    { connectionString: 'HostName=bench.azure-devices.net;DeviceId=thermo-01;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=', features: { twin: false, methods: false } },
    { clock, timers, network: net, random: { next: () => 0.5 }, crypto: testCrypto() },
  );
  const state = { acked: 0, errors: 0 };
  hub.setHandlers({ onState: () => {}, onC2D: () => {}, onDesired: () => {}, onMethod: () => {}, onError: () => state.errors++ });
  hub.start();
  net.handlers?.onConnect();
  net.flush(); // CONNACK
  net.flush(); // SUBACK
  const sensors: SensorSnapshot[] = [0, 1, 2].map((k) => ({
    reading: { id: `28ff4a1b2c3d4e0${k}`, name: `T${k + 1}`, value: 21.5 + k, status: 'online' },
    stats: { count: 60, mean: 21.4375 + k, std: 0.052, min: 21.375 + k, max: 21.5 + k, z: 1.3, anomaly: false, alert: undefined },
  }));
  const env = { deviceId: 'thermo-01', seq: 17, epochMs: 1790000000123, uptimeMs: 5000 };
  const counts = { pending: 0, bytes: 0, overflow: 0, expired: 0 };
  const real = telemetryMessage(env, sensors, counts);
  const outbox = new Outbox(new MemoryStorage(), clock, { maxCount: 50, maxBytes: 8192 });
  const puback = new Uint8Array([0x40, 2, 0, 0]);
  const done = (error?: Error): void => {
    if (error === undefined) state.acked++;
    else state.errors++;
  };
  let inFlight = -1;
  const outboxDone = (error?: Error): void => {
    if (error === undefined) {
      outbox.acknowledge(inFlight);
      state.acked++;
    } else state.errors++;
  };
  const ack = (): void => {
    puback[2] = net.lastId >> 8;
    puback[3] = net.lastId & 0xff;
    net.handlers?.onData(puback);
  };
  return {
    device: (n: number, body: string) => {
      for (let i = 0; i < n; i++) {
        hub.sendTelemetry(body, real.properties, done);
        ack();
      }
      return state.acked;
    },
    application: (n: number) => {
      for (let i = 0; i < n; i++) {
        env.seq++;
        const message = telemetryMessage(env, sensors, outbox.counts);
        outbox.push(message.body, message.properties, false);
        const m = outbox.takeNext();
        if (m === undefined) throw new Error('outbox gave nothing');
        inFlight = m.seq;
        hub.sendTelemetry(m.body, m.properties, outboxDone);
        ack();
      }
      return state.acked;
    },
    check: () => ({ ...state, writes: net.writes, pending: outbox.length, realBytes: real.body.length }),
    realBody: real.body,
  };
}

const bench = createBench();
serve({
  device: (n) => bench.device(n as number, BENCH_JSON),
  deviceReal: (n) => bench.device(n as number, bench.realBody),
  application: (n) => bench.application(n as number),
  check: () => bench.check(),
});
