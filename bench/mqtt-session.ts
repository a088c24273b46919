/**
 * The client-level publish path in XS, measured at three depths, each a QoS 1 message and its
 * PUBACK handed back, N times per command:
 *
 *   xsSessionPublishQos1Computrons / xsSessionPublishSlots (issue #14's goal figures): the
 *        benchmark PUBLISH (bench/xs/mqtt-codec-fixture: the device's telemetry topic, 76-byte
 *        payload, 155 bytes on the wire) through Session.publish, encoded into the session's
 *        buffer and handed to onSend, and its PUBACK through Session.receive to onPublishAcked
 *        (bench/xs/mqtt-session-entry.ts). xsSessionPublishQos1V5Computrons / ...V5Slots: the same
 *        in MQTT 5.0, with the 5-byte PUBACK (reason 0x10 No matching subscribers) that
 *        mosquitto and Event Grid answer a topic nobody subscribes to.
 *   xsDevicePublishComputrons / xsDevicePublishSlots: the same JSON as the device sends it: the
 *        pump's call of the hub port (HubConnection.sendTelemetry with the telemetry message
 *        properties) through HubClient (topic, UTF-8), MqttClient and Session to
 *        Connection.write, the PUBACK from Connection's onData back to the pump's callback
 *        (bench/xs/mqtt-path-entry.ts). xsDeviceRealPublish*: with a real 3-sensor telemetry
 *        message (its JSON as the device builds it).
 *   xsApplicationMessageComputrons / xsApplicationMessageSlots: per telemetry message, what the
 *        application adds before that: building the JSON (telemetryMessage) and the outbox
 *        (push, take, acknowledge), plus the device path.
 *
 *   computrons = (command(N) - noop) / N, a loop iteration included; slots = live slots after
 *   command(M) minus after a noop, gc before both and none between (M small enough that no
 *   collection runs inside the command), / M, checked linear over two sizes.
 *
 * Both XS builds (xsnap; xs-device with Moddable's UTF-8 strings) are measured; the larger
 * figure is reported. Goals: xsSessionPublishQos1Computrons <= 850 and xsSessionPublishSlots
 * <= 16 (Moddable's mqtt.js costs about 1,700 computrons for the same PUBLISH). The deeper figures
 * have no goal: they say what a message costs the device. Writes bench/results/mqtt-session.json.
 * Run: npm run bench:mqtt-session
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot, runInXs, type XsEngine } from '../test/xs/lane';

export const GOAL_COMPUTRONS = 850;
export const GOAL_SLOTS = 16;

interface Figure {
  computrons: number;
  slots: number;
  slotsLinear: boolean;
}

/** Runs `op` in `entry`: warm-up, N for computrons, 20 and 40 for slots; then `check`. */
function measure(entry: string, op: string, engine: XsEngine, n: number, checkOp = 'check'): { figure: Figure; check: Record<string, number | string> } {
  const r = runInXs(
    path.join(projectRoot, entry),
    [
      { op, arg: 100 },
      { op: 'gc' },
      { op: 'noop' },
      { op, arg: n },
      { op: 'gc' },
      { op: 'noop' },
      { op, arg: 20 },
      { op: 'gc' },
      { op: 'noop' },
      { op, arg: 40 },
      { op: checkOp },
    ],
    engine,
  );
  const failed = r.find((x) => !x.reply.ok);
  if (failed && !failed.reply.ok) throw new Error(`XS bench command failed: ${failed.reply.error}`);
  const check = (r[10].reply.ok ? r[10].reply.value : {}) as Record<string, number | string>;
  const slots20 = (r[6].currentHeapCount - r[5].currentHeapCount) / 20;
  const slots40 = (r[9].currentHeapCount - r[8].currentHeapCount) / 40;
  return {
    figure: { computrons: (r[3].compute - r[2].compute) / n, slots: Math.max(slots20, slots40), slotsLinear: Math.abs(slots20 - slots40) <= 1 },
    check,
  };
}

function expectAcked(what: string, check: Record<string, number | string>, messages: number): void {
  if (check.acked !== messages || check.errors !== 0 || (check.inflight !== undefined && check.inflight !== 0) || (check.pending !== undefined && check.pending !== 0)) {
    throw new Error(`XS ${what} bench: ${JSON.stringify(check)}, expected ${messages} acknowledged`);
  }
}

function worst(a: Figure, b: Figure): { computrons: number; slots: number } {
  return { computrons: Math.round(Math.max(a.computrons, b.computrons)), slots: Math.round(Math.max(a.slots, b.slots) * 10) / 10 };
}

function main(): void {
  const n = 10_000;
  const messages = 100 + n + 60;
  const engines: Record<string, Record<string, Figure>> = {};
  for (const engine of ['xsnap', 'device'] as const) {
    const session = measure('bench/xs/mqtt-session-entry.ts', 'publish', engine, n);
    expectAcked('session', session.check, messages);
    engines[engine] = { session: session.figure };
    const sessionV5 = measure('bench/xs/mqtt-session-entry.ts', 'publish5', engine, n, 'check5');
    expectAcked('session (5.0)', sessionV5.check, messages);
    engines[engine].sessionV5 = sessionV5.figure;
    // Each op in its own process, so every one starts from the same state.
    for (const op of ['device', 'deviceReal', 'application']) {
      const m = measure('bench/xs/mqtt-path-entry.ts', op, engine, n / 5);
      expectAcked(op, m.check, 100 + n / 5 + 60);
      engines[engine][op] = m.figure;
    }
  }
  const { xsnap, device } = engines;
  const session = worst(xsnap.session, device.session);
  const sessionV5 = worst(xsnap.sessionV5, device.sessionV5);
  const devicePath = worst(xsnap.device, device.device);
  const real = worst(xsnap.deviceReal, device.deviceReal);
  const application = worst(xsnap.application, device.application);
  const result = {
    packet: 'bench/xs/mqtt-codec-fixture: 155-byte QoS 1 PUBLISH',
    messages: n,
    xsSessionPublishQos1Computrons: session.computrons,
    xsSessionPublishSlots: session.slots,
    xsSessionPublishQos1V5Computrons: sessionV5.computrons,
    xsSessionPublishV5Slots: sessionV5.slots,
    xsDevicePublishComputrons: devicePath.computrons,
    xsDevicePublishSlots: devicePath.slots,
    xsDeviceRealPublishComputrons: real.computrons,
    xsDeviceRealPublishSlots: real.slots,
    xsApplicationMessageComputrons: application.computrons,
    xsApplicationMessageSlots: application.slots,
    paths: {
      session: 'Session.publish (QoS 1) + its PUBACK through Session.receive',
      sessionV5: 'the same in MQTT 5.0, the PUBACK 40 03 id id 10 (No matching subscribers) as mosquitto and Event Grid send it',
      device: 'HubConnection.sendTelemetry (benchmark JSON, telemetry properties) -> HubClient -> MqttClient -> Session -> Connection.write; PUBACK Connection.onData -> ... -> the pump callback',
      deviceReal: 'the device path with a real 3-sensor telemetry message',
      application: 'telemetryMessage JSON + outbox push/take/acknowledge + the device path (3 sensors)',
    },
    engines,
    goals: { xsSessionPublishQos1Computrons: GOAL_COMPUTRONS, xsSessionPublishSlots: GOAL_SLOTS },
    ok: session.computrons <= GOAL_COMPUTRONS && session.slots <= GOAL_SLOTS,
  };
  console.table({
    xsSessionPublishQos1Computrons: { value: result.xsSessionPublishQos1Computrons, goal: `<= ${GOAL_COMPUTRONS}` },
    xsSessionPublishSlots: { value: result.xsSessionPublishSlots, goal: `<= ${GOAL_SLOTS}` },
    xsSessionPublishQos1V5Computrons: { value: sessionV5.computrons, goal: '' },
    xsSessionPublishV5Slots: { value: sessionV5.slots, goal: '' },
    xsDevicePublishComputrons: { value: devicePath.computrons, goal: '' },
    xsDevicePublishSlots: { value: devicePath.slots, goal: '' },
    xsDeviceRealPublishComputrons: { value: real.computrons, goal: '' },
    xsDeviceRealPublishSlots: { value: real.slots, goal: '' },
    xsApplicationMessageComputrons: { value: application.computrons, goal: '' },
    xsApplicationMessageSlots: { value: application.slots, goal: '' },
  });
  const file = path.join(projectRoot, 'bench/results/mqtt-session.json');
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${path.relative(projectRoot, file)}`);
  if (!result.ok) {
    console.error(`mqtt-session bench: goal missed (<= ${GOAL_COMPUTRONS} computrons and <= ${GOAL_SLOTS} slots per message)`);
    process.exitCode = 1;
  }
}

main();
