/**
 * The client-level publish path in XS: the benchmark PUBLISH (bench/xs/mqtt-codec-fixture: the
 * device's telemetry topic, 76-byte payload, 155 bytes on the wire) published at QoS 1 through
 * Session, and its PUBACK handed back, N times per command (bench/xs/mqtt-session-entry.ts).
 *
 *   xsSessionPublishQos1Computrons = (computrons of publish(N) - noop) / N, a loop iteration
 *        included: measuring, encoding, onSend, the PUBACK and the acknowledgement.
 *   xsSessionPublishSlots = XS slots allocated per message: live slots after publish(M) minus
 *        after a noop, gc before both and none between (M small enough that no collection runs
 *        inside the command), / M; checked linear over two sizes.
 *
 * Both XS builds (xsnap; xs-device with Moddable's UTF-8 strings) are measured.
 * Goals: <= 850 computrons and <= 16 slots per message (issue #14; Moddable's mqtt.js costs
 * about 1,700 computrons for the same PUBLISH). Writes bench/results/mqtt-session.json.
 * Run: npm run bench:mqtt-session
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot, runInXs, type XsEngine } from '../test/xs/lane';

export const GOAL_COMPUTRONS = 850;
export const GOAL_SLOTS = 16;

function measure(engine: XsEngine, n: number) {
  const entry = path.join(projectRoot, 'bench/xs/mqtt-session-entry.ts');
  const r = runInXs(
    entry,
    [
      { op: 'publish', arg: 100 },
      { op: 'gc' },
      { op: 'noop' },
      { op: 'publish', arg: n },
      { op: 'gc' },
      { op: 'noop' },
      { op: 'publish', arg: 20 },
      { op: 'gc' },
      { op: 'noop' },
      { op: 'publish', arg: 40 },
      { op: 'check' },
    ],
    engine,
  );
  const failed = r.find((x) => !x.reply.ok);
  if (failed && !failed.reply.ok) throw new Error(`XS bench command failed: ${failed.reply.error}`);
  const check = (r[10].reply.ok ? r[10].reply.value : {}) as { sent: number; acked: number; errors: number; inflight: number };
  const messages = 100 + n + 60;
  if (check.acked !== messages || check.errors !== 0 || check.inflight !== 0) throw new Error(`XS session bench: ${JSON.stringify(check)}, expected ${messages} acknowledged`);
  const slots20 = (r[6].currentHeapCount - r[5].currentHeapCount) / 20;
  const slots40 = (r[9].currentHeapCount - r[8].currentHeapCount) / 40;
  return {
    computrons: (r[3].compute - r[2].compute) / n,
    slots: Math.max(slots20, slots40),
    slotsLinear: Math.abs(slots20 - slots40) <= 1,
  };
}

function main(): void {
  const n = 10_000;
  const xsnap = measure('xsnap', n);
  const device = measure('device', n);
  const computrons = Math.max(xsnap.computrons, device.computrons);
  const slots = Math.max(xsnap.slots, device.slots);
  const result = {
    packet: 'bench/xs/mqtt-codec-fixture: 155-byte QoS 1 PUBLISH',
    messages: n,
    xsSessionPublishQos1Computrons: Math.round(computrons),
    xsSessionPublishSlots: Math.round(slots * 10) / 10,
    engines: { xsnap, device },
    goals: { xsSessionPublishQos1Computrons: GOAL_COMPUTRONS, xsSessionPublishSlots: GOAL_SLOTS },
    ok: computrons <= GOAL_COMPUTRONS && slots <= GOAL_SLOTS,
  };
  console.table({
    xsSessionPublishQos1Computrons: { value: result.xsSessionPublishQos1Computrons, goal: `<= ${GOAL_COMPUTRONS}` },
    xsSessionPublishSlots: { value: result.xsSessionPublishSlots, goal: `<= ${GOAL_SLOTS}` },
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
