/**
 * Connection policy (src/mqtt/client.ts) and backoff in simulated time: a fake clock, timers and
 * network, so reconnect delays, timeouts and keepalive are exact. Runs in Node and inside XS.
 */
import type { Suite } from '../harness';
import { Backoff } from '../../src/mqtt/backoff';
import { MqttClient, type MqttClientOptions } from '../../src/mqtt/client';
import { encode } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import { ConnackCode, PacketType, type Packet, type ProtocolVersion } from '../../src/mqtt/packets';
import type { Connection, ConnectionHandlers, ConnectOptions, Network, TimerId } from '../../src/platform';
import { describePacket } from './session-rig';

class SimTime {
  now = 0;
  private seq = 0;
  private timers: { id: number; at: number; fn: () => void }[] = [];
  readonly clock = { now: () => this.now, epochMs: () => undefined };
  readonly timersApi = {
    set: (fn: () => void, delayMs: number): TimerId => {
      const id = ++this.seq;
      this.timers.push({ id, at: this.now + Math.max(0, delayMs), fn });
      return id;
    },
    clear: (id: TimerId) => {
      this.timers = this.timers.filter((t) => t.id !== id);
    },
  };
  /** Runs the earliest pending timer only. */
  runNext(): void {
    let next: { id: number; at: number; fn: () => void } | undefined;
    for (const t of this.timers) if (!next || t.at < next.at || (t.at === next.at && t.id < next.id)) next = t;
    if (next) this.advance(next.at - this.now);
  }

  /** Runs every timer due up to now + ms, in time order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next: { id: number; at: number; fn: () => void } | undefined;
      for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (!next) break;
      const due = next;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = due.at;
      due.fn();
    }
    this.now = end;
  }
}

class SimConnection implements Connection {
  closed = false;
  readonly sent: string[] = [];
  private readonly sniffer: Decoder;
  constructor(readonly handlers: ConnectionHandlers, readonly at: number, readonly version: ProtocolVersion = 4) {
    this.sniffer = new Decoder({ maxPacketSize: 1 << 20, protocolVersion: version, onPacket: (p) => this.sent.push(describePacket(p)) });
  }
  write(data: Uint8Array): boolean {
    if (!this.closed) this.sniffer.push(data);
    return true;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.onClose();
  }
  /** The broker sends `packet`. */
  deliver(packet: Packet): void {
    const buf = new Uint8Array(1024);
    const n = encode(packet, buf, 0, this.version);
    this.handlers.onData(buf.subarray(0, n));
  }
  /** The link fails. */
  drop(code: string): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.onClose({ code, message: code });
  }
}

class SimNetwork implements Network {
  readonly connections: SimConnection[] = [];
  constructor(private readonly time: SimTime, private readonly version: ProtocolVersion = 4) {}
  connect(_options: ConnectOptions, handlers: ConnectionHandlers): SimConnection {
    const c = new SimConnection(handlers, this.time.now, this.version);
    this.connections.push(c);
    return c;
  }
  get last(): SimConnection {
    return this.connections[this.connections.length - 1];
  }
}

function setup(options: Partial<MqttClientOptions> = {}, randoms: number[] = [0.5]) {
  const time = new SimTime();
  const network = new SimNetwork(time, options.protocolVersion);
  const log: string[] = [];
  let r = 0;
  const client = new MqttClient(
    { host: 'broker', port: 1883, clientId: 'dev1', backoff: { minMs: 1000, maxMs: 100_000 }, ...options },
    { clock: time.clock, timers: time.timersApi, network, random: { next: () => randoms[r++ % randoms.length] } },
    {
      onConnected: (present) => log.push(`${time.now} connected present=${present ? 1 : 0}`),
      onDisconnected: (reason) => log.push(`${time.now} disconnected ${reason.code}${reason.reasonCode !== undefined ? ' rc=0x' + reason.reasonCode.toString(16) : ''}`),
      onError: (error) => log.push(`${time.now} error ${error.code}`),
      onReconnectScheduled: (delay, reason) => log.push(`${time.now} retry in ${delay} after ${reason.code}`),
      onPublishAcked: (id, token) => log.push(`${time.now} acked id${id} ${String(token)}`),
    },
  );
  const connack = (returnCode: ConnackCode = ConnackCode.ACCEPTED, sessionPresent = false) => {
    const c = network.last;
    c.handlers.onConnect();
    c.deliver({ type: PacketType.CONNACK, sessionPresent, returnCode });
  };
  return { time, network, log, client, connack };
}

export const suite: Suite = {
  name: 'mqtt-client',
  cases: [
    {
      name: '5.0: a server DISCONNECT reaches onDisconnected with its reason code; Session taken over waits the backoff ceiling, Server busy backs off as usual',
      run: (t) => {
        const { time, network, log, client, connack } = setup({ protocolVersion: 5 });
        client.start();
        connack();
        t.equal(network.last.sent, ['CONNECT dev1 clean=1 ka=60 v5 {maximumPacketSize=263168}']);
        network.last.deliver({ type: PacketType.DISCONNECT, reasonCode: 0x8e });
        t.equal(network.connections[0].closed, true, 'the transport is closed');
        time.advance(99_999);
        t.equal(network.connections.length, 1, 'no reconnect before the ceiling after a session takeover');
        time.advance(1);
        t.equal(network.connections.length, 2);
        connack();
        network.last.deliver({ type: PacketType.DISCONNECT, reasonCode: 0x89, properties: { reasonString: 'busy' } });
        time.advance(1500); // first retry: uniform in [1 s, 2 s], random 0.5
        t.equal(network.connections.length, 3);
        // 5.0 refusals map to the 3.1.1 names the policy knows: 0x86 waits the ceiling.
        connack(0x86 as ConnackCode);
        time.advance(99_999);
        t.equal(network.connections.length, 3);
        client.close();
        t.equal(log.slice(0, 6), [
          '0 connected present=0',
          '0 disconnected SERVER_DISCONNECT rc=0x8e',
          '0 retry in 100000 after SERVER_DISCONNECT',
          '100000 connected present=0',
          '100000 disconnected SERVER_DISCONNECT rc=0x89',
          '100000 retry in 1500 after SERVER_DISCONNECT',
        ]);
        t.equal(log.slice(6), ['101500 error CONNACK_BAD_USERNAME_OR_PASSWORD', '101500 retry in 100000 after CONNACK_BAD_USERNAME_OR_PASSWORD']);
        return log;
      },
    },
    {
      name: 'a string password is sent as its UTF-8 bytes, U+0000 included (MQTT passwords are binary; it used to be sent empty)',
      run: (t) => {
        const { network, client } = setup({ username: 'u', password: 'a\u0000b\u00e9' });
        client.start();
        network.last.handlers.onConnect();
        const sent = network.last.sent.slice();
        t.equal(sent, ['CONNECT dev1 clean=1 ka=60 user=u pw=5']);
        client.close();
        return sent;
      },
    },
    {
      name: 'backoff: full jitter, decorrelated and none stay within [floor, ceiling] and reset',
      run: (t) => {
        const seq = [0, 0.5, 0.999, 0.25];
        let i = 0;
        const random = { next: () => seq[i++ % seq.length] };
        const full = new Backoff({ minMs: 1000, maxMs: 10_000, jitter: 'full' }, random);
        const fullDelays = Array.from({ length: 7 }, () => full.next());
        full.reset();
        const afterReset = full.next();
        const deco = new Backoff({ minMs: 1000, maxMs: 10_000, jitter: 'decorrelated' }, random);
        const decoDelays = Array.from({ length: 7 }, () => deco.next());
        const none = new Backoff({ minMs: 1000, maxMs: 10_000, jitter: 'none' }, random);
        const noneDelays = Array.from({ length: 6 }, () => none.next());
        for (const d of [...fullDelays, ...decoDelays, ...noneDelays]) t.ok(d >= 1000 && d <= 10_000, `delay ${d} within bounds`);
        t.equal(noneDelays, [1000, 2000, 4000, 8000, 10_000, 10_000]);
        t.equal(afterReset, 1250, 'after reset: failure 0 again, uniform in [floor, 2 x floor] (random 0.25)');
        const defaults = new Backoff({}, { next: () => 0.999999 });
        const grown = Array.from({ length: 12 }, () => defaults.next());
        t.equal(grown[0] >= 1000, true);
        t.equal(grown[11] <= 100_000 && grown[11] > 99_000, true);
        return { fullDelays, decoDelays, noneDelays, grownLast: grown[11] };
      },
    },
    {
      name: 'refused transport: exponential backoff between attempts, reset after a success',
      run: (t) => {
        const { time, network, log, client, connack } = setup({}, [0.5]);
        client.start();
        for (let k = 0; k < 4; k++) {
          network.last.drop('ECONNREFUSED');
          time.runNext(); // the retry timer (the failed attempt's CONNACK timer is gone)
        }
        const attempts = network.connections.map((c) => c.at);
        // full jitter at 0.5: 1000 + 0.5 * (min(max, 1000 * 2^(k+1)) - 1000)
        t.equal(attempts, [0, 1500, 4000, 8500, 17000]);
        connack();
        network.last.drop('ECONNRESET');
        time.advance(1500);
        t.equal(network.connections.length, 6, 'after a success the delay starts at failure 0 again');
        return log;
      },
    },
    {
      name: 'no CONNACK within connectTimeoutMs: CONNACK_TIMEOUT, transport closed, retry',
      run: (t) => {
        const { time, network, log, client } = setup({ connectTimeoutMs: 5000 });
        client.start();
        network.last.handlers.onConnect(); // TCP up, CONNECT sent, the broker never answers
        time.advance(4999);
        t.equal(network.last.closed, false);
        time.advance(1);
        t.equal(network.connections[0].closed, true);
        t.equal(network.connections[0].sent, ['CONNECT dev1 clean=1 ka=60']);
        time.advance(1500); // first retry: uniform in [1 s, 2 s], random 0.5
        t.equal(network.connections.length, 2);
        return log;
      },
    },
    {
      name: 'refused credentials (CONNACK 4 or 5) wait the ceiling; server unavailable (3) backs off normally',
      run: (t) => {
        const { time, network, log, client, connack } = setup({ username: 'u', password: 'bad' });
        client.start();
        connack(ConnackCode.NOT_AUTHORIZED);
        time.advance(99_999);
        t.equal(network.connections.length, 1, 'no retry before the ceiling');
        time.advance(1);
        t.equal(network.connections.length, 2);
        connack(ConnackCode.BAD_USERNAME_OR_PASSWORD);
        time.advance(100_000);
        connack(ConnackCode.SERVER_UNAVAILABLE);
        const before = network.connections.length;
        time.advance(5_000);
        t.equal(network.connections.length, before + 1, 'server unavailable retries within the normal backoff');
        return log;
      },
    },
    {
      name: 'keepalive through the timers: PINGREQ at K, dead at 1.25 K without PINGRESP, then reconnect',
      run: (t) => {
        const { time, network, log, client, connack } = setup({ keepAlive: 10 });
        client.start();
        connack();
        const first = network.last;
        time.advance(10_000);
        t.equal(first.sent, ['CONNECT dev1 clean=1 ka=10', 'PINGREQ']);
        first.deliver({ type: PacketType.PINGRESP });
        time.advance(10_000);
        t.equal(first.sent.length, 3, 'second PINGREQ 10 s after the first');
        time.advance(5_000);
        t.equal(first.closed, true);
        time.advance(1_500);
        t.equal(network.connections.length, 2);
        return log;
      },
    },
    {
      name: 'keepalive: a PINGRESP after recent traffic brings the next ping forward to K after the last send',
      run: (t) => {
        const { time, network, client, connack } = setup({ keepAlive: 10 });
        client.start();
        connack();
        const c = network.last;
        time.advance(9_000);
        c.deliver({ type: PacketType.PUBLISH, topic: 'c2d', payload: new Uint8Array(1), qos: 0, retain: false, dup: false });
        time.advance(1_000);
        t.equal(c.sent, ['CONNECT dev1 clean=1 ka=10', 'PINGREQ'], 'nothing sent for K: ping at 10 s');
        time.advance(1);
        c.deliver({ type: PacketType.PINGRESP });
        time.advance(9_999);
        t.equal(c.sent.length, 3, 'next ping at 20 s, not at the 24 s dead line');
        t.equal(c.closed, false);
        return c.sent;
      },
    },
    {
      name: 'planned reconnect: DISCONNECT, a new CONNECT at once with the new password, unacked PUBLISH resent',
      run: (t) => {
        let calls = 0;
        const { time, network, log, client, connack } = setup({ cleanSession: false, username: 'hub/dev1', password: () => `token-${++calls}` });
        client.start();
        connack();
        client.publish('devices/dev1/messages/events/', new Uint8Array([1, 2, 3]), { qos: 1, token: 'row-1' });
        const old = network.last;
        time.advance(100);
        client.reconnect({ password: 'renewed-token-xyz' });
        t.equal(old.sent, ['CONNECT dev1 clean=0 ka=60 user=hub/dev1 pw=7', 'PUBLISH devices/dev1/messages/events/ q1 id1 3B', 'DISCONNECT']);
        t.equal(old.closed, true);
        t.equal(network.connections.length, 2, 'no backoff for a planned reconnect');
        connack(ConnackCode.ACCEPTED, true);
        const fresh = network.last;
        t.equal(fresh.sent, ['CONNECT dev1 clean=0 ka=60 user=hub/dev1 pw=17', 'PUBLISH devices/dev1/messages/events/ q1 id1 dup 3B']);
        fresh.deliver({ type: PacketType.PUBACK, packetId: 1 });
        t.equal(calls, 1);
        return log;
      },
    },
    {
      name: 'a planned reconnect during a refusal backoff starts at once',
      run: (t) => {
        const { time, network, log, client, connack } = setup({ username: 'u', password: 'expired' });
        client.start();
        connack(ConnackCode.NOT_AUTHORIZED);
        time.advance(10);
        client.reconnect({ password: 'fresh' });
        t.equal(network.connections.length, 2);
        connack();
        return log;
      },
    },
    {
      name: 'close(): DISCONNECT, transport closed, no further attempts',
      run: (t) => {
        const { time, network, log, client, connack } = setup();
        client.start();
        connack();
        client.close();
        t.equal(network.last.sent, ['CONNECT dev1 clean=1 ka=60', 'DISCONNECT']);
        t.equal(network.last.closed, true);
        time.advance(1_000_000);
        t.equal(network.connections.length, 1);
        t.equal(client.state, 'idle');
        return log;
      },
    },
  ],
};
