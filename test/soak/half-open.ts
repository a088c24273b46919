/**
 * Half-open connections: the fault proxy stops forwarding both ways without closing anything
 * (a dead path: no FIN, no RST). The client must notice from its keepalive alone and recover.
 *
 * The device publishes QoS 1 every `publishEveryMs` with keepalive K. The stall starts midway
 * between two acknowledgements. Figures per round:
 *   detectMs    stall -> the client reports KEEPALIVE_TIMEOUT; ratio = detectMs / K (goal <= 1.5)
 *   silenceMs   last byte the proxy forwarded to the device -> detection (what the session
 *               measures itself: K + pingTimeout = 1.25 K, plus timer latency)
 *   recoverMs   detection -> connected again through a fresh connection
 * and every message published before or during the stall is acknowledged after recovery.
 */
import { performance } from 'node:perf_hooks';
import { nodeClock, nodeTimers } from '../../hosts/node/host';
import { NodeNetwork } from '../../hosts/node/network';
import { MqttClient, type DisconnectReason } from '../../src/mqtt/client';
import { startFaultProxy } from '../fixtures/fault-proxy';
import { startMosquitto } from '../fixtures/mosquitto';
import { seededRandom, until } from './rng';

export interface HalfOpenOptions {
  rounds: number;
  keepAliveS: number;
  publishEveryMs?: number;
  timeoutMs: number;
}

export interface HalfOpenRound {
  detectMs: number;
  ratio: number;
  silenceMs: number;
  recoverMs: number;
  reason: string;
}

export interface HalfOpenResult {
  keepAliveS: number;
  rounds: HalfOpenRound[];
  /** Worst detectMs / keepalive over the rounds. */
  halfOpenDetectRatio: number;
  maxSilenceMs: number;
  maxRecoverMs: number;
  published: number;
  acked: number;
  timedOut: boolean;
}

export async function runHalfOpen(options: HalfOpenOptions): Promise<HalfOpenResult> {
  const deadline = Date.now() + options.timeoutMs;
  const every = options.publishEveryMs ?? 200;
  const broker = await startMosquitto();
  const proxy = await startFaultProxy({ targetPort: broker.plainPort });
  let acked = 0;
  let published = 0;
  let disconnect: { at: number; reason: DisconnectReason } | undefined;
  let connectedAt = 0;
  const client = new MqttClient(
    { host: '127.0.0.1', port: proxy.port, clientId: 'half-open', cleanSession: false, keepAlive: options.keepAliveS, backoff: { minMs: 20, maxMs: 200 }, connectTimeoutMs: 3000 },
    { clock: nodeClock, timers: nodeTimers, network: new NodeNetwork({ connectTimeoutMs: 3000, closeLingerMs: 100 }), random: seededRandom(5) },
    {
      onConnected: () => (connectedAt = performance.now()),
      onDisconnected: (reason) => (disconnect = { at: performance.now(), reason }),
      onPublishAcked: () => {
        acked++;
      },
    },
  );
  const payload = new TextEncoder().encode('{"t":21.5}');
  const ticker = setInterval(() => {
    client.publish('soak/half-open', payload, { qos: 1 });
    published++;
  }, every);
  client.start();
  const rounds: HalfOpenRound[] = [];
  let timedOut = false;
  try {
    for (let i = 0; i < options.rounds; i++) {
      const ackBase = acked;
      // Traffic flows on the current connection.
      if (!(await until(() => client.state === 'connected' && acked >= ackBase + 3, deadline))) throw new Error('timeout');
      // Stall midway between acknowledgements.
      const mark = acked;
      if (!(await until(() => acked > mark, deadline, 1))) throw new Error('timeout');
      await new Promise((r) => setTimeout(r, every / 2));
      disconnect = undefined;
      const stalledAt = performance.now();
      const wallStalled = Date.now();
      proxy.stall();
      if (!(await until(() => disconnect !== undefined, deadline, 1))) throw new Error('timeout');
      const d = disconnect as unknown as { at: number; reason: DisconnectReason };
      const detectMs = d.at - stalledAt;
      const silenceMs = d.at - stalledAt + (wallStalled - proxy.stats.lastDownAt);
      const before = connectedAt;
      if (!(await until(() => client.state === 'connected' && connectedAt > before, deadline, 1))) throw new Error('timeout');
      rounds.push({ detectMs, ratio: detectMs / (options.keepAliveS * 1000), silenceMs, recoverMs: connectedAt - d.at, reason: d.reason.code });
    }
    clearInterval(ticker);
    // Everything published before and during the stalls gets acknowledged after recovery.
    if (!(await until(() => acked >= published, deadline, 5))) throw new Error('timeout');
  } catch {
    timedOut = true;
  } finally {
    clearInterval(ticker);
    client.close();
    await proxy.close();
    await broker.stop();
  }
  return {
    keepAliveS: options.keepAliveS,
    rounds,
    halfOpenDetectRatio: Math.max(0, ...rounds.map((r) => r.ratio)),
    maxSilenceMs: Math.max(0, ...rounds.map((r) => r.silenceMs)),
    maxRecoverMs: Math.max(0, ...rounds.map((r) => r.recoverMs)),
    published,
    acked,
    timedOut,
  };
}
