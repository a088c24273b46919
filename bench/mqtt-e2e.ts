/**
 * End-to-end QoS 1 publish throughput through a real local mosquitto: our client
 * (src/mqtt/client over hosts/node/network) against mqtt.js 5, same broker, in MQTT 3.1.1 and in
 * MQTT 5.0 (protocolVersion 5).
 *
 * What one round measures: a fresh connection (CONNECT/CONNACK not timed), then the time from the
 * first PUBLISH to the PUBACK of the last of `--messages` QoS 1 PUBLISHes, each 64 B on one topic;
 * a message counts as done when its PUBACK arrives (ours: onPublishAcked; mqtt.js: the publish
 * callback, which mqtt.js calls at PUBACK for QoS 1). The whole path is in the time: the client's
 * encoding and session, the Node host's socket writes, the kernel's loopback TCP, mosquitto
 * reading, routing and acknowledging each message, and the client reading the PUBACK.
 *
 * The same work for both clients:
 * - QoS 1, the same topic and payload, the same in-flight limit: the driver keeps 10 PUBLISHes
 *   unacknowledged and sends the next one from the acknowledgement callback (ours also has
 *   inflightWindow 10; mqtt.js has no window of its own in 3.1.1);
 * - the same socket options: TCP_NODELAY on both sockets (our Node host always sets it; mqtt.js's
 *   socket gets setNoDelay(true) after connect, its default being Nagle);
 * - 5.0: both use the server's topic aliases (ours by default, mqtt.js with autoAssignTopicAlias),
 *   so both send the same bytes: the topic once, then its alias.
 *
 * The broker: mosquitto 2.0 on loopback, plain TCP, logging what a deployed broker logs (errors,
 * warnings, notices, information; not the two debug lines per packet that the test fixture's
 * default writes to a file, which cost mosquitto 29.4 instead of 22.8 us of CPU per message here).
 * mosquitto 2.0 does the same work for every PUBLISH whoever sends it (three reads, one epoll
 * round, the PUBACK's write: ~21 us of CPU here) and is single-threaded, so it bounds both
 * clients: a client costing less than the broker per message cannot go faster than it. Measured
 * pinned, ours costs ~20 us per message and mqtt.js ~23 us in 3.1.1 and ~25-27 us in 5.0, so the
 * ratio this can show is near 1 in 3.1.1 and a little above in 5.0; the CPU figures say more.
 *
 * Robust on a loaded machine (the one this runs on has 2 cores shared with other jobs):
 * - pairs of rounds, ours and mqtt.js back to back (which one goes first alternates), after
 *   warm-up rounds of both; the figure is the median of the per-pair ratios, so a change of load
 *   between pairs cancels out;
 * - when the machine has 2 CPUs or more (Linux, taskset), mosquitto is pinned to one CPU and this
 *   process's main thread (the event loop both clients run on) to another, as a device and its
 *   broker never share a CPU; V8's helper threads stay unpinned. Left to the scheduler, a client
 *   that sleeps between PUBACKs (ours needs less CPU per message) is woken onto the broker's CPU
 *   and preempts it: measured unpinned (--no-pin), mosquitto was preempted 0.6 times per message
 *   with our client against 0.03 with mqtt.js, which stays busy, and spent 22.2 against 19.2 us of
 *   CPU per message; pinned, 0.005 times for both and the same CPU per message. After the pinned
 *   pairs, `--unpinned-pairs` (default 5) more run unpinned and are reported for information
 *   (unpinnedForInformation), without a goal.
 *
 *   e2eRatio   = median over pairs of (ours msgs/s / mqtt.js msgs/s), MQTT 3.1.1   goal >= 1
 *   v5E2eRatio = the same in MQTT 5.0                                               goal >= 1
 *
 * Beside the ratios (not goals), medians over the rounds: each client's CPU time per message in
 * this process (client plus the driver, which is the same for both; process.cpuUsage; the round's
 * connect and disconnect included), mosquitto's CPU time per message and how often it was
 * preempted per message (/proc/<pid>/schedstat and status, Linux; connect and disconnect
 * included), each client's msgs/s, and every pair's ratio.
 * Run: npx tsx bench/mqtt-e2e.ts [--messages N] [--pairs N] [--warmup N] [--no-pin] [--unpinned-pairs N]
 * (writes bench/results/mqtt-e2e.json; exits 1 when a goal is missed)
 */
import { connectAsync } from 'mqtt';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
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
const MESSAGES = arg('--messages', 10_000);
const PAIRS = arg('--pairs', 21);
const WARMUP = arg('--warmup', 2);
const PIN = !args.includes('--no-pin');
const UNPINNED_PAIRS = arg('--unpinned-pairs', 5);
const WINDOW = 10;
const PAYLOAD_BYTES = 64;
const TOPIC = 'bench/e2e/telemetry';
const BROKER_LOG = ['error', 'warning', 'notice', 'information'];
const payload = new Uint8Array(PAYLOAD_BYTES).map((_, i) => 32 + (i % 90));

type Version = 4 | 5;
let clientSeq = 0;

/** One round of our client: resolves with the milliseconds from the first PUBLISH to the last PUBACK. */
async function runOurs(broker: Mosquitto, protocolVersion: Version): Promise<number> {
  let acked = 0;
  let sent = 0;
  let started = 0;
  let finish: (ms: number) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const done = new Promise<number>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const options = { qos: 1 as const };
  const client = new MqttClient(
    { host: broker.host, port: broker.plainPort, clientId: `ours-${protocolVersion}-${clientSeq++}`, inflightWindow: WINDOW, keepAlive: 60, protocolVersion },
    { clock: nodeClock, timers: nodeTimers, network: new NodeNetwork(), random: nodeRandom },
    {
      onConnected: () => {
        started = performance.now();
        while (sent < WINDOW && sent < MESSAGES) publish();
      },
      onPublishAcked: (_id, _token, reasonCode) => {
        if (reasonCode >= 0x80) fail(new Error(`PUBACK reason 0x${reasonCode.toString(16)}`));
        acked++;
        if (sent < MESSAGES) publish();
        if (acked === MESSAGES) finish(performance.now() - started);
      },
      onError: (error) => fail(new Error(`${error.code}: ${error.message}`)),
    },
  );
  function publish(): void {
    const id = client.publish(TOPIC, payload, options);
    if (id <= 0 && id !== PUBLISH_QUEUED) throw new Error(`publish refused: ${id}`);
    sent++;
  }
  client.start();
  try {
    return await done;
  } finally {
    client.close();
  }
}

/** One round of mqtt.js, the same work. */
async function runTheirs(broker: Mosquitto, protocolVersion: Version): Promise<number> {
  const client = await connectAsync(`mqtt://${broker.host}:${broker.plainPort}`, {
    protocolVersion,
    clientId: `theirs-${protocolVersion}-${clientSeq++}`,
    reconnectPeriod: 0,
    keepalive: 60,
    ...(protocolVersion === 5 ? { autoAssignTopicAlias: true } : {}),
  });
  if (!(client.stream instanceof net.Socket)) throw new Error('mqtt.js did not connect over a net.Socket');
  client.stream.setNoDelay(true);
  const buf = Buffer.from(payload);
  try {
    return await new Promise<number>((resolve, reject) => {
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
  } finally {
    await client.endAsync();
  }
}

interface Round {
  msgsPerSec: number;
  /** This process's CPU microseconds per message (client + driver). */
  cpuUs: number;
  /** mosquitto's CPU microseconds per message; undefined without /proc. */
  brokerCpuUs: number | undefined;
  /** mosquitto's involuntary context switches per message; undefined without /proc. */
  brokerPreemptions: number | undefined;
}

/** mosquitto's CPU time (ns) and involuntary context switches, from /proc (Linux); undefined elsewhere. */
function brokerSched(pid: number | undefined): [number, number] | undefined {
  if (pid === undefined) return undefined;
  try {
    const cpuNs = Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    const m = /nonvoluntary_ctxt_switches:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? [cpuNs, Number(m[1])] : undefined;
  } catch {
    return undefined;
  }
}

async function round(broker: Mosquitto, run: (b: Mosquitto, v: Version) => Promise<number>, version: Version): Promise<Round> {
  const sched0 = brokerSched(broker.pid);
  const cpu0 = process.cpuUsage();
  const ms = await run(broker, version);
  const cpu = process.cpuUsage(cpu0);
  const sched1 = brokerSched(broker.pid);
  const both = sched0 && sched1;
  return {
    msgsPerSec: MESSAGES / (ms / 1000),
    cpuUs: (cpu.user + cpu.system) / MESSAGES,
    brokerCpuUs: both ? (sched1[0] - sched0[0]) / 1000 / MESSAGES : undefined,
    brokerPreemptions: both ? (sched1[1] - sched0[1]) / MESSAGES : undefined,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round3 = (x: number) => Number(x.toFixed(3));
const medianOf = (rounds: Round[], key: 'cpuUs' | 'brokerCpuUs' | 'brokerPreemptions') => {
  const xs = rounds.map((r) => r[key]).filter((x): x is number => x !== undefined);
  return xs.length ? round3(median(xs)) : null;
};

/** The CPUs this process may run on (taskset's list, e.g. "0-3,6"); [] when unknown. */
function allowedCpus(): number[] {
  const out = spawnSync('taskset', ['-p', '-c', String(process.pid)], { encoding: 'utf8' });
  const list = out.status === 0 ? /list:\s*(\S+)/.exec(out.stdout)?.[1] : undefined;
  if (!list) return [];
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}

/** Pins mosquitto and this process (all its threads) to two different CPUs; false when it cannot. */
function pin(broker: Mosquitto): { brokerCpu: number; clientMainThreadCpu: number; cpus: number[] } | false {
  const cpus = allowedCpus();
  if (broker.pid === undefined || cpus.length < 2 || os.availableParallelism() < 2) return false;
  const [brokerCpu, clientMainThreadCpu] = cpus;
  const ok = (pid: number, cpu: number, flags: string[]) => spawnSync('taskset', [...flags, '-p', '-c', String(cpu), String(pid)]).status === 0;
  // mosquitto is one thread; here only the main thread (the event loop, where both clients run):
  // V8's garbage-collector helper threads stay free to run on any CPU, as they would unpinned.
  if (!ok(broker.pid, brokerCpu, ['-a']) || !ok(process.pid, clientMainThreadCpu, [])) return false;
  return { brokerCpu, clientMainThreadCpu, cpus };
}

/** Lets mosquitto and this process's main thread run on any of `cpus` again. */
function unpin(broker: Mosquitto, cpus: number[]): boolean {
  const list = cpus.join(',');
  const ok = (pid: number, flags: string[]) => spawnSync('taskset', [...flags, '-p', '-c', list, String(pid)]).status === 0;
  return broker.pid !== undefined && ok(broker.pid, ['-a']) && ok(process.pid, []);
}

interface VersionResult {
  ours: Round[];
  theirs: Round[];
}

function summary(r: VersionResult) {
  const ratios = r.ours.map((o, i) => o.msgsPerSec / r.theirs[i].msgsPerSec);
  return {
    pairRatios: ratios.map(round3),
    ratio: round3(median(ratios)),
    oursMedianMsgsPerSec: Math.round(median(r.ours.map((x) => x.msgsPerSec))),
    theirsMedianMsgsPerSec: Math.round(median(r.theirs.map((x) => x.msgsPerSec))),
    cpuUsPerMessage: { ours: medianOf(r.ours, 'cpuUs'), theirs: medianOf(r.theirs, 'cpuUs') },
    brokerCpuUsPerMessage: { ours: medianOf(r.ours, 'brokerCpuUs'), theirs: medianOf(r.theirs, 'brokerCpuUs') },
    brokerPreemptionsPerMessage: { ours: medianOf(r.ours, 'brokerPreemptions'), theirs: medianOf(r.theirs, 'brokerPreemptions') },
  };
}

/** `count` pairs of rounds per version (3.1.1 and 5.0 alternating, the first of a pair alternating too). */
async function pairs(broker: Mosquitto, count: number): Promise<Record<Version, VersionResult>> {
  const results: Record<Version, VersionResult> = { 4: { ours: [], theirs: [] }, 5: { ours: [], theirs: [] } };
  for (let pair = 0; pair < count; pair++) {
    for (const v of [4, 5] as const) {
      const r = results[v];
      if (pair % 2 === 0) {
        r.ours.push(await round(broker, runOurs, v));
        r.theirs.push(await round(broker, runTheirs, v));
      } else {
        r.theirs.push(await round(broker, runTheirs, v));
        r.ours.push(await round(broker, runOurs, v));
      }
    }
  }
  return results;
}

async function main(): Promise<void> {
  const broker = await startMosquitto({ logTypes: BROKER_LOG });
  try {
    const pinned = PIN ? pin(broker) : false;
    for (let i = 0; i < WARMUP; i++) {
      for (const v of [4, 5] as const) {
        await runOurs(broker, v);
        await runTheirs(broker, v);
      }
    }
    const results = await pairs(broker, PAIRS);
    const v311 = summary(results[4]);
    const v5 = summary(results[5]);
    // For information (no goal): the same pairs left to the scheduler, which shows what pinning removes.
    let unpinned: { pairs: number; e2eRatio: number; v5E2eRatio: number; v311: ReturnType<typeof summary>; v5: ReturnType<typeof summary> } | undefined;
    if (pinned && UNPINNED_PAIRS > 0 && unpin(broker, pinned.cpus)) {
      const u = await pairs(broker, UNPINNED_PAIRS);
      const u4 = summary(u[4]);
      const u5 = summary(u[5]);
      unpinned = { pairs: UNPINNED_PAIRS, e2eRatio: u4.ratio, v5E2eRatio: u5.ratio, v311: u4, v5: u5 };
    }
    const result = {
      messagesPerRound: MESSAGES,
      pairs: PAIRS,
      warmupRounds: WARMUP,
      inflightWindow: WINDOW,
      payloadBytes: PAYLOAD_BYTES,
      qos: 1,
      tcpNoDelay: true,
      v5TopicAliases: 'both (ours default, mqtt.js autoAssignTopicAlias)',
      broker: 'mosquitto 2.0 (Debian), loopback, plain TCP',
      brokerLog: BROKER_LOG,
      pinned: pinned && { brokerCpu: pinned.brokerCpu, clientMainThreadCpu: pinned.clientMainThreadCpu },
      peer: 'mqtt.js 5',
      node: process.version,
      loadAverage: os.loadavg().map((x) => Number(x.toFixed(2))),
      e2eRatio: v311.ratio,
      v5E2eRatio: v5.ratio,
      v311,
      v5,
      goal: { e2eRatioMin: 1, v5E2eRatioMin: 1 },
      unpinnedForInformation: unpinned ?? null,
      ok: v311.ratio >= 1 && v5.ratio >= 1,
    };
    const out = path.join(projectRoot, 'bench/results/mqtt-e2e.json');
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    console.log(
      `QoS 1 publish, ${MESSAGES} x ${PAYLOAD_BYTES} B per round, window ${WINDOW}, ${PAIRS} pairs per version, ` +
        (pinned ? `broker on CPU ${pinned.brokerCpu}, clients' event loop on CPU ${pinned.clientMainThreadCpu}` : 'not pinned'),
    );
    for (const [name, s] of [['MQTT 3.1.1', v311], ['MQTT 5.0', v5]] as const) {
      console.log(
        `${name}: ratio ${s.ratio} (median of ${s.pairRatios.join(' ')}); msgs/s ours ${s.oursMedianMsgsPerSec}, mqtt.js ${s.theirsMedianMsgsPerSec}; ` +
          `CPU us/msg ours ${s.cpuUsPerMessage.ours}, mqtt.js ${s.cpuUsPerMessage.theirs}; ` +
          `broker CPU us/msg ${s.brokerCpuUsPerMessage.ours}/${s.brokerCpuUsPerMessage.theirs}, preemptions/msg ${s.brokerPreemptionsPerMessage.ours}/${s.brokerPreemptionsPerMessage.theirs}`,
      );
    }
    if (unpinned) {
      const u = unpinned;
      console.log(
        `for information, ${u.pairs} pairs unpinned: ratio ${u.e2eRatio} (3.1.1), ${u.v5E2eRatio} (5.0); ` +
          `broker preemptions/msg ${u.v311.brokerPreemptionsPerMessage.ours}/${u.v311.brokerPreemptionsPerMessage.theirs}, ` +
          `broker CPU us/msg ${u.v311.brokerCpuUsPerMessage.ours}/${u.v311.brokerCpuUsPerMessage.theirs} (3.1.1, ours/mqtt.js)`,
      );
    }
    console.log(`e2eRatio ${result.e2eRatio}, v5E2eRatio ${result.v5E2eRatio} (goal >= 1) -> ${result.ok ? 'OK' : 'MISSED'}; wrote ${path.relative(projectRoot, out)}`);
    if (!result.ok) process.exitCode = 1;
  } finally {
    await broker.stop();
  }
}

await main();
