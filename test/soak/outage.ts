/**
 * A long hub outage in simulated time: the device application (src/device/app) samples at 1 Hz
 * and queues telemetry into its bounded outbox while the hub is unreachable, then the hub
 * returns. Checked every simulated second of the outage: the outbox within its count and byte
 * bounds. After recovery: everything still in the outbox is delivered, oldest first, with no
 * gaps in what was kept; what was dropped is counted, and the count reaches the cloud in the
 * next telemetry message.
 */
import { windowAnalytics } from '../../src/device/adapters/analytics';
import { startDevice } from '../../src/device/app';
import { FakeHost } from '../device/fake-host';
import { FakeHub, FakeSensors } from '../device/fakes';

export interface OutageOptions {
  outageMs: number;
  maxCount?: number;
  maxBytes?: number;
}

export interface OutageResult {
  outageMs: number;
  samples: number;
  maxCount: number;
  maxBytes: number;
  peakPending: number;
  peakBytes: number;
  boundViolations: number;
  producedDuringOutage: number;
  pendingAtRecovery: number;
  deliveredAfterRecovery: number;
  deliveredInOrder: boolean;
  /** Kept messages that were never delivered after recovery. */
  lostWithinCapacity: number;
  dropped: number;
  droppedReportedInTelemetry: number | undefined;
  pendingAtEnd: number;
}

export function runOutage(options: OutageOptions): OutageResult {
  const maxCount = options.maxCount ?? 200;
  const maxBytes = options.maxBytes ?? 65536;
  const host = new FakeHost();
  const hub = new FakeHub();
  const sensors = new FakeSensors();
  const device = startDevice(
    host,
    { sensors, hub, analytics: windowAnalytics() },
    { deviceId: 'outage-1', outbox: { maxCount, maxBytes }, config: { samplingIntervalMs: 1000, telemetryIntervalMs: 5000, aggregatePeriodMs: 60_000 } },
  );
  hub.connect();
  host.advance(60_000);
  const seqOf = (i: number): number => (JSON.parse(hub.sent[i].body) as { seq: number }).seq;
  const sentBefore = hub.sent.length;
  const lastSeqBefore = seqOf(sentBefore - 1);
  hub.disconnect();
  let peakPending = 0;
  let peakBytes = 0;
  let boundViolations = 0;
  let samples = 0;
  let t = 0;
  for (; t < options.outageMs; t += 1000) {
    // Temperatures change so every message differs.
    sensors.set('28aa000000000001', 20 + (t % 7000) / 1000);
    host.advance(1000);
    samples++;
    const c = device.outboxCounts();
    peakPending = Math.max(peakPending, c.pending);
    peakBytes = Math.max(peakBytes, c.bytes);
    if (c.pending > maxCount || c.bytes > maxBytes) boundViolations++;
  }
  const atRecovery = device.outboxCounts();
  hub.connect();
  const delivered: number[] = [];
  for (let i = sentBefore; i < hub.sent.length; i++) delivered.push(seqOf(i));
  // Sequence numbers used during the outage: everything after lastSeqBefore up to the newest
  // message, which the outbox always keeps (it drops the oldest). (Storage holds only a reserved
  // block bound, not the exact next number.)
  const seqAfterOutage = delivered.length > 0 ? Math.max(...delivered) + 1 : lastSeqBefore + 1;
  const producedDuringOutage = seqAfterOutage - lastSeqBefore - 1;
  host.advance(10_000);
  const later = hub.sent.slice(sentBefore + delivered.length).map((s) => JSON.parse(s.body) as { type: string; outbox?: { overflow: number } });
  const firstTelemetry = later.find((b) => b.type === 'telemetry');
  let inOrder = true;
  for (let i = 1; i < delivered.length; i++) if (delivered[i] !== delivered[i - 1] + 1) inOrder = false;
  // The kept messages are the newest ones: the last `pending` sequence numbers of the outage.
  const got = new Set(delivered);
  let lostWithinCapacity = 0;
  for (let seq = seqAfterOutage - atRecovery.pending; seq < seqAfterOutage; seq++) if (!got.has(seq)) lostWithinCapacity++;
  const result: OutageResult = {
    outageMs: options.outageMs,
    samples,
    maxCount,
    maxBytes,
    peakPending,
    peakBytes,
    boundViolations,
    producedDuringOutage,
    pendingAtRecovery: atRecovery.pending,
    deliveredAfterRecovery: delivered.length,
    deliveredInOrder: inOrder,
    lostWithinCapacity,
    dropped: atRecovery.overflow + atRecovery.expired,
    droppedReportedInTelemetry: firstTelemetry?.outbox?.overflow,
    pendingAtEnd: device.outboxCounts().pending,
  };
  device.stop();
  return result;
}
