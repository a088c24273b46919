/**
 * Shared (Node + XS): src/iothub/transport — which port and framing each connect uses for
 * transport mqtts / wss / auto, in simulated time over a scripted network.
 */
import type { Json, Suite } from '../harness';
import type { Connection, ConnectionError, ConnectionHandlers, ConnectOptions, Network, TimerId, Timers } from '../../src/platform';
import { parseTransport, TransportNetwork, type TransportMemory } from '../../src/iothub/transport';

interface Dial {
  port: number;
  handlers: ConnectionHandlers;
  writes: string[];
  closed: boolean;
}

class ScriptedNetwork implements Network {
  readonly dials: Dial[] = [];
  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    const dial: Dial = { port: options.port, handlers, writes: [], closed: false };
    this.dials.push(dial);
    return {
      write: (data) => {
        let s = '';
        for (let i = 0; i < Math.min(data.length, 40); i++) s += String.fromCharCode(data[i]);
        dial.writes.push(s);
        return true;
      },
      close: () => void (dial.closed = true),
    };
  }
}

class ManualTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, { at: number; fn: () => void }>();
  now = 0;
  set(fn: () => void, delayMs: number): TimerId {
    const id = this.next++;
    this.pending.set(id, { at: this.now + delayMs, fn });
    return id;
  }
  clear(id: TimerId): void {
    this.pending.delete(id as number);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.pending]) {
      if (t.at <= this.now) {
        this.pending.delete(id);
        t.fn();
      }
    }
  }
}

const random = { next: () => 0.5 };
const TLS_OPTIONS: ConnectOptions = { host: '127.0.0.1', port: 8883, tls: { serverName: 'myhub.azure-devices.net' } };

function recorder() {
  const events: Json[] = [];
  const handlers: ConnectionHandlers = {
    onConnect: () => events.push('connect'),
    onData: (d) => events.push(`data ${d.length}`),
    onClose: (e?: ConnectionError) => events.push(`close ${e ? e.code : '-'}`),
  };
  return { events, handlers };
}

function setup(transport: 'mqtts' | 'wss' | 'auto', memory?: TransportMemory) {
  const net = new ScriptedNetwork();
  const timers = new ManualTimers();
  const t = new TransportNetwork(net, { random, timers }, { transport, wssPort: 443, probeTimeoutMs: 1000, memory });
  return { net, timers, t };
}

export const suite: Suite = {
  name: 'iothub-transport',
  cases: [
    {
      name: 'mqtts dials the MQTT port as is; wss dials 443 and sends the upgrade to /$iothub/websocket',
      run: (t) => {
        const a = setup('mqtts');
        a.t.connect(TLS_OPTIONS, recorder().handlers);
        t.equal(a.net.dials.map((d) => d.port), [8883]);
        t.equal(a.t.current, 'mqtts');
        const b = setup('wss');
        const r = recorder();
        b.t.connect(TLS_OPTIONS, r.handlers);
        t.equal(b.net.dials.map((d) => d.port), [443]);
        b.net.dials[0].handlers.onConnect();
        t.equal(b.net.dials[0].writes[0], 'GET /$iothub/websocket HTTP/1.1\r\nHost: m');
        t.equal(r.events, [], 'not connected before the 101');
        t.equal(b.t.current, 'wss');
        t.throws(() => parseTransport('ws'), /mqtts", "wss" or "auto/);
        t.throws(() => new TransportNetwork(a.net, { random, timers: a.timers }, { transport: 'tcp' as 'wss' }), /transport must be/);
        return b.net.dials[0].writes[0];
      },
    },
    {
      name: 'auto: a refused 8883 moves to 443 within the same connect, and stays there',
      run: (t) => {
        const { net, timers, t: tr } = setup('auto');
        const r = recorder();
        const conn = tr.connect(TLS_OPTIONS, r.handlers);
        t.equal(tr.current, 'mqtts');
        net.dials[0].handlers.onClose({ code: 'ECONNREFUSED', message: 'refused' });
        t.equal(net.dials.map((d) => d.port), [8883, 443]);
        t.equal(r.events, [], 'the caller saw no failure');
        t.equal(tr.current, 'wss');
        t.equal(timers.pending.size, 0, 'the probe timer is cleared');
        net.dials[1].handlers.onConnect();
        conn.write(Uint8Array.of(1));
        t.equal(net.dials[1].writes.length, 1, 'only the handshake: no frames before the upgrade');
        conn.close();
        t.equal(net.dials[1].closed, true);
        tr.connect(TLS_OPTIONS, recorder().handlers);
        t.equal(net.dials.map((d) => d.port), [8883, 443, 443]);
        return r.events;
      },
    },
    {
      name: 'auto: 8883 not up within probeTimeoutMs is abandoned for 443; its late close is not reported',
      run: (t) => {
        const { net, timers, t: tr } = setup('auto');
        const r = recorder();
        tr.connect(TLS_OPTIONS, r.handlers);
        timers.advance(999);
        t.equal(net.dials.length, 1);
        timers.advance(1);
        t.equal(net.dials.map((d) => d.port), [8883, 443]);
        t.equal(net.dials[0].closed, true, 'the probe is closed');
        net.dials[0].handlers.onClose({ code: 'CLOSED', message: 'closed locally' });
        t.equal(r.events, []);
        net.dials[1].handlers.onClose({ code: 'ECONNRESET', message: 'reset' });
        t.equal(r.events, ['close ECONNRESET'], 'a failure on 443 is the caller\'s');
        return r.events;
      },
    },
    {
      name: 'auto: 8883 up stays mqtts; later errors, and errors that are not refusals, pass through',
      run: (t) => {
        const { net, timers, t: tr } = setup('auto');
        const r = recorder();
        tr.connect(TLS_OPTIONS, r.handlers);
        net.dials[0].handlers.onConnect();
        net.dials[0].handlers.onData(Uint8Array.of(0x20, 2, 0, 0));
        timers.advance(5000);
        net.dials[0].handlers.onClose({ code: 'ECONNREFUSED', message: 'after connecting: not a probe result' });
        t.equal(r.events, ['connect', 'data 4', 'close ECONNREFUSED']);
        t.equal(tr.current, 'mqtts');
        const r2 = recorder();
        tr.connect(TLS_OPTIONS, r2.handlers);
        net.dials[1].handlers.onClose({ code: 'TLS_CERT_UNTRUSTED', message: 'untrusted' });
        t.equal(r2.events, ['close TLS_CERT_UNTRUSTED']);
        t.equal(net.dials.map((d) => d.port), [8883, 8883]);
        t.equal(tr.current, 'mqtts');
        return r.events;
      },
    },
    {
      name: 'auto: the caller closing during the probe is not a timeout; a shared memory carries the move to another client',
      run: (t) => {
        const memory: TransportMemory = { wss: false };
        const a = setup('auto', memory);
        const r = recorder();
        const conn = a.t.connect(TLS_OPTIONS, r.handlers);
        conn.close();
        a.timers.advance(5000);
        a.net.dials[0].handlers.onClose({ code: 'ECONNREFUSED', message: 'late' });
        t.equal(a.net.dials.length, 1, 'no fallback after close()');
        t.equal(memory.wss, false);
        a.t.connect(TLS_OPTIONS, recorder().handlers);
        a.net.dials[1].handlers.onClose({ code: 'TIMEOUT', message: 'no answer' });
        t.equal(memory.wss, true);
        const b = setup('auto', memory);
        b.t.connect(TLS_OPTIONS, recorder().handlers);
        t.equal(b.net.dials.map((d) => d.port), [443], 'the second client goes straight to 443');
        return r.events;
      },
    },
  ],
};
