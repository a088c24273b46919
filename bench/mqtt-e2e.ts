/**
 * End-to-end QoS 1 publish throughput through a real local mosquitto (started by the test
 * fixture): our client (src/mqtt/client over hosts/node/network) against mqtt.js 5, same broker,
 * same topic and payload, same in-flight window (10 unacknowledged PUBLISHes; mqtt.js has no
 * window for MQTT 3.1.1, so the driver keeps 10 outstanding for both), interleaved runs.
 *
 *   e2eRatio = median(ours msgs/s) / median(mqtt.js msgs/s)   goal >= 1 (exit 1 if missed)
 *   v5E2eRatio: the same with both clients in MQTT 5.0 mode (protocolVersion 5; ours with its
 *   default outbound topic aliases, within mosquitto's Topic Alias Maximum)   goal >= 1
 *
 * A run: connect, then time from the first PUBLISH to the last PUBACK of `messages` messages.
 * Each run also records this process's CPU time per message (process.cpuUsage over the run; one
 * client runs at a time, the driver is the same for both): what the client itself costs, which
 * the machine's load moves far less than the wall-clock rate (the broker and the scheduler are in
 * the latter). Reported beside the ratios (cpuUsPerMessage), not a goal.
 * Run: npx tsx bench/mqtt-e2e.ts [--messages N] [--runs N]   (writes bench/results/mqtt-e2e.json)
 */
import { connectAsync } from 'mqtt';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { nodeClock, nodeRandom, nodeTimers } from '../hosts/node/host';
import { NodeNetwork } from '../hosts/node/network';
import { MqttClient } from '../src/mqtt/client';
import { PUBLISH_QUEUED } from '../src/mqtt/session';
import { startMosquitto, type Mosquitto } from '../test/fixtures/mosquitto';
import { projectRoot } from '../test/xs/lane';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const MESSAGES = arg('--messages', 20_000);
const RUNS = arg('--runs', 5);
const WINDOW = 10;
const PAYLOAD_BYTES = 64;
const TOPIC = 'bench/e2e/telemetry';
const payload = new Uint8Array(PAYLOAD_BYTES).map((_, i) => 32 + (i % 90));

async function runOurs(broker: Mosquitto, run: number, protocolVersion: 4 | 5 = 4): Promise<number> {
  let acked = 0;
  let sent = 0;
  let started = 0;
  let finish: (ms: number) => void = () => undefined;
  const done = new Promise<number>((r) => (finish = r));
  const options = { qos: 1 as const };
  const client = new MqttClient(
    { host: broker.host, port: broker.plainPort, clientId: `ours-${protocolVersion}-${run}`, inflightWindow: WINDOW, keepAlive: 60, protocolVersion },
    { clock: nodeClock, timers: nodeTimers, network: new NodeNetwork(), random: nodeRandom },
    {
      onConnected: () => {
        started = performance.now();
        while (sent < WINDOW && sent < MESSAGES) publish();
      },
      onPublishAcked: () => {
        acked++;
        if (sent < MESSAGES) publish();
        if (acked === MESSAGES) finish(performance.now() - started);
      },
    },
  );
  function publish(): void {
    const id = client.publish(TOPIC, payload, options);
    if (id <= 0 && id !== PUBLISH_QUEUED) throw new Error(`publish refused: ${id}`);
    sent++;
  }
  client.start();
  const ms = await done;
  client.close();
  return ms;
}

async function runTheirs(broker: Mosquitto, run: number, protocolVersion: 4 | 5 = 4): Promise<number> {
  const client = await connectAsync(`mqtt://${broker.host}:${broker.plainPort}`, {
    protocolVersion,
    clientId: `theirs-${protocolVersion}-${run}`,
    reconnectPeriod: 0,
    keepalive: 60,
  });
  const buf = Buffer.from(payload);
  const ms = await new Promise<number>((resolve, reject) => {
    let acked = 0;
    let sent = 0;
    const started = performance.now();
    const publish = () => {
      sent++;
      client.publish(TOPIC, buf, { qos: 1 }, (error) => {
        if (error) return reject(error);
        acked++;
        if (sent < MESSAGES) publish();
        if (acked === MESSAGES) resolve(performance.now() - started);
      });
    };
    while (sent < WINDOW && sent < MESSAGES) publish();
  });
  await client.endAsync();
  return ms;
}

/** CPU microseconds per message of this process during `run` (the client under test and the driver). */
async function cpuPerMessage(cpu: number[], run: () => Promise<number>): Promise<number> {
  const before = process.cpuUsage();
  const ms = await run();
  const used = process.cpuUsage(before);
  cpu.push((used.user + used.system) / MESSAGES);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function main(): Promise<void> {
  const broker = await startMosquitto();
  try {
    // Warm-up: JIT both clients and the broker once.
    await runOurs(broker, -1);
    await runTheirs(broker, -1);
    const ours: number[] = [];
    const theirs: number[] = [];
    const ours5: number[] = [];
    const theirs5: number[] = [];
    // 3.1.1 runs first, then 5.0 runs, each pair interleaved: the 3.1.1 figure is measured as before.
    const cpu = { ours: [] as number[], theirs: [] as number[], ours5: [] as number[], theirs5: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      ours.push(MESSAGES / ((await cpuPerMessage(cpu.ours, () => runOurs(broker, run))) / 1000));
      theirs.push(MESSAGES / ((await cpuPerMessage(cpu.theirs, () => runTheirs(broker, run))) / 1000));
    }
    await runOurs(broker, -2, 5);
    await runTheirs(broker, -2, 5);
    for (let run = 0; run < RUNS; run++) {
      ours5.push(MESSAGES / ((await cpuPerMessage(cpu.ours5, () => runOurs(broker, run, 5))) / 1000));
      theirs5.push(MESSAGES / ((await cpuPerMessage(cpu.theirs5, () => runTheirs(broker, run, 5))) / 1000));
    }
    const oursMedian = median(ours);
    const theirsMedian = median(theirs);
    const e2eRatio = oursMedian / theirsMedian;
    const v5E2eRatio = median(ours5) / median(theirs5);
    const result = {
      messages: MESSAGES,
      runs: RUNS,
      inflightWindow: WINDOW,
      payloadBytes: PAYLOAD_BYTES,
      qos: 1,
      broker: 'mosquitto 2.0 (Debian), loopback, plain TCP',
      peer: 'mqtt.js 5',
      node: process.version,
      oursMsgsPerSec: ours.map(Math.round),
      theirsMsgsPerSec: theirs.map(Math.round),
      oursMedianMsgsPerSec: Math.round(oursMedian),
      theirsMedianMsgsPerSec: Math.round(theirsMedian),
      e2eRatio: Number(e2eRatio.toFixed(3)),
      v5OursMsgsPerSec: ours5.map(Math.round),
      v5TheirsMsgsPerSec: theirs5.map(Math.round),
      v5E2eRatio: Number(v5E2eRatio.toFixed(3)),
      // Median CPU microseconds per message in this process (client + driver), per client and version.
      cpuUsPerMessage: {
        ours: Number(median(cpu.ours).toFixed(1)),
        theirs: Number(median(cpu.theirs).toFixed(1)),
        v5Ours: Number(median(cpu.ours5).toFixed(1)),
        v5Theirs: Number(median(cpu.theirs5).toFixed(1)),
      },
      goal: { e2eRatioMin: 1, v5E2eRatioMin: 1 },
      ok: e2eRatio >= 1 && v5E2eRatio >= 1,
    };
    const out = path.join(projectRoot, 'bench/results/mqtt-e2e.json');
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    console.log(`QoS 1 publish, ${MESSAGES} x ${PAYLOAD_BYTES} B, window ${WINDOW}, ${RUNS} interleaved runs each`);
    console.table(
      ours.map((o, i) => ({ run: i + 1, 'ours msgs/s': Math.round(o), 'mqtt.js msgs/s': Math.round(theirs[i]), ratio: Number((o / theirs[i]).toFixed(3)) })),
    );
    console.log(`median: ours ${result.oursMedianMsgsPerSec} msgs/s, mqtt.js ${result.theirsMedianMsgsPerSec} msgs/s, e2eRatio ${result.e2eRatio} (goal >= 1)`);
    const c = result.cpuUsPerMessage;
    console.log(`CPU per message (this process): 3.1.1 ours ${c.ours} us, mqtt.js ${c.theirs} us; 5.0 ours ${c.v5Ours} us, mqtt.js ${c.v5Theirs} us`);
    console.log(`MQTT 5.0: ours ${Math.round(median(ours5))} msgs/s, mqtt.js ${Math.round(median(theirs5))} msgs/s, v5E2eRatio ${result.v5E2eRatio} (goal >= 1) -> ${result.ok ? 'OK' : 'MISSED'}`);
    console.log(`wrote ${path.relative(projectRoot, out)}`);
    if (!result.ok) process.exitCode = 1;
  } finally {
    await broker.stop();
  }
}

await main();
