/**
 * At-least-once delivery under faults: the real MQTT client (src/mqtt/client over
 * hosts/node/network) publishes `messages` numbered QoS 1 messages to a real mosquitto (with
 * persistence) through the fault proxy, which cuts the connection `cuts` times while traffic
 * flows; the broker is restarted `restarts` times (SIGTERM, persistence written, same ports).
 * A separate mqtt.js subscriber with a persistent session (clean: false, QoS 1), connected
 * directly to the broker, collects the ids.
 *
 *   lost        ids never seen by the subscriber (must be 0)
 *   duplicates  repeat arrivals that the broker forwarded as new messages (DUP=0): the device
 *               resent a PUBLISH whose PUBACK the fault swallowed. With an in-flight window of
 *               1 at most one per connection loss.
 *   redeliveries repeat arrivals with DUP=1: the broker resent to the subscriber after its own
 *               restart (the subscriber leg, not the device's doing); reported apart.
 */
import mqtt from 'mqtt';
import { nodeClock, nodeTimers } from '../../hosts/node/host';
import { NodeNetwork } from '../../hosts/node/network';
import { MqttClient } from '../../src/mqtt/client';
import { PUBLISH_REJECTED } from '../../src/mqtt/session';
import { startFaultProxy } from '../fixtures/fault-proxy';
import { startMosquitto } from '../fixtures/mosquitto';
import { seededRandom, until } from './rng';

export interface DeliveryOptions {
  messages: number;
  cuts: number;
  restarts: number;
  /** Device in-flight window. Default 1. */
  window?: number;
  /** Hard bound on the whole run. */
  timeoutMs: number;
  seed?: number;
  /** Probability that a broker -> device chunk gets one bit flipped (TCP would catch it; a broken middlebox might not). */
  corruptDown?: number;
}

export interface DeliveryResult {
  messages: number;
  window: number;
  acked: number;
  unique: number;
  lost: number;
  duplicates: number;
  redeliveries: number;
  cuts: number;
  connectionsCut: number;
  restarts: number;
  corruptedChunks: number;
  protocolErrors: number;
  connects: number;
  disconnects: number;
  durationMs: number;
  /** Up to 20 lost ids, for a failure message. */
  lostIds: number[];
  timedOut: boolean;
}

const TOPIC = 'soak/telemetry';

export async function runDelivery(options: DeliveryOptions): Promise<DeliveryResult> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const window = options.window ?? 1;
  const total = options.messages;
  const broker = await startMosquitto({ persistence: true });
  const proxy = await startFaultProxy({ targetPort: broker.plainPort, seed: options.seed ?? 1 });
  if (options.corruptDown) proxy.setCorrupt(options.corruptDown, 'down');
  const seen = new Uint8Array(total);
  let unique = 0;
  let duplicates = 0;
  let redeliveries = 0;
  const subscriber = mqtt.connect({
    host: broker.host,
    port: broker.plainPort,
    clientId: 'soak-collector',
    clean: false,
    reconnectPeriod: 100,
    connectTimeout: 5000,
    keepalive: 30,
  });
  subscriber.on('error', () => undefined);
  subscriber.on('message', (_topic, payload, packet) => {
    const id = Number(payload.toString('latin1'));
    if (!Number.isInteger(id) || id < 0 || id >= total) return;
    if (seen[id] === 0) {
      seen[id] = 1;
      unique++;
    } else if (packet.dup) redeliveries++;
    else duplicates++;
  });
  await new Promise<void>((resolve, reject) => {
    subscriber.once('connect', () => subscriber.subscribe(TOPIC, { qos: 1 }, (e) => (e ? reject(e) : resolve())));
  });

  let next = 0;
  let acked = 0;
  let connects = 0;
  let disconnects = 0;
  let protocolErrors = 0;
  const encoder = new TextEncoder();
  const client = new MqttClient(
    {
      host: '127.0.0.1',
      port: proxy.port,
      clientId: 'soak-device',
      cleanSession: false,
      keepAlive: 10,
      inflightWindow: window,
      maxQueued: 64,
      connectTimeoutMs: 3000,
      backoff: { minMs: 10, maxMs: 250 },
    },
    { clock: nodeClock, timers: nodeTimers, network: new NodeNetwork({ connectTimeoutMs: 3000, closeLingerMs: 100 }), random: seededRandom(options.seed ?? 1) },
    {
      onConnected: () => {
        connects++;
        pump();
      },
      onDisconnected: () => disconnects++,
      onError: () => protocolErrors++,
      onPublishAcked: () => {
        acked++;
        pump();
      },
    },
  );
  // Keep a small backlog: the session holds at most window + maxQueued messages.
  function pump(): void {
    while (next < total && client.session.inflightCount + client.session.queuedCount < window + 32) {
      const r = client.publish(TOPIC, encoder.encode(String(next)), { qos: 1 });
      if (r === PUBLISH_REJECTED) break;
      if (r < 0 && r !== -1) throw new Error(`publish ${next} refused: ${r}`);
      next++;
    }
  }
  client.start();
  pump();

  // Faults at evenly spaced points of progress (acknowledged count), so each hits flowing traffic.
  type Fault = { at: number; kind: 'cut' | 'restart' };
  const faults: Fault[] = [];
  for (let i = 1; i <= options.cuts; i++) faults.push({ at: Math.floor((total * i) / (options.cuts + 1)), kind: 'cut' });
  for (let i = 1; i <= options.restarts; i++) faults.push({ at: Math.floor((total * (i - 0.5)) / options.restarts), kind: 'restart' });
  faults.sort((a, b) => a.at - b.at);
  let restarts = 0;
  let timedOut = false;
  for (const fault of faults) {
    // Cut only a live connection, so every cut counts.
    if (!(await until(() => acked >= fault.at && (fault.kind === 'restart' || (client.state === 'connected' && proxy.open > 0)), deadline))) {
      timedOut = true;
      break;
    }
    if (fault.kind === 'cut') proxy.cut();
    else {
      await broker.restart();
      restarts++;
    }
  }
  if (!timedOut) timedOut = !(await until(() => acked >= total && unique >= total, deadline, 10));
  // Late duplicates still in transit.
  await new Promise((r) => setTimeout(r, 300));
  client.close();
  await new Promise<void>((resolve) => subscriber.end(true, {}, () => resolve()));
  await proxy.close();
  await broker.stop();
  const lostIds: number[] = [];
  for (let i = 0; i < total && lostIds.length < 20; i++) if (seen[i] === 0) lostIds.push(i);
  return {
    messages: total,
    window,
    acked,
    unique,
    lost: total - unique,
    duplicates,
    redeliveries,
    cuts: proxy.stats.cuts,
    connectionsCut: proxy.stats.connectionsCut,
    restarts,
    corruptedChunks: proxy.stats.corruptedChunks,
    protocolErrors,
    connects,
    disconnects,
    durationMs: Date.now() - started,
    lostIds,
    timedOut,
  };
}
