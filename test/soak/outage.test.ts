/** One hour of hub outage at 1 Hz sampling, in simulated time (full size; it takes well under a second). */
import { describe, expect, it } from 'vitest';
import { runOutage } from './outage';

describe('soak: 1-hour hub outage', () => {
  it('keeps the outbox within its bounds, delivers what it kept in order, counts and reports the drops', () => {
    const r = runOutage({ outageMs: 3_600_000, maxCount: 200, maxBytes: 65536 });
    expect(r.samples).toBe(3600);
    expect(r.boundViolations).toBe(0);
    expect(r.peakPending).toBeLessThanOrEqual(200);
    expect(r.peakBytes).toBeLessThanOrEqual(65536);
    expect(r.producedDuringOutage).toBeGreaterThan(700); // 720 telemetry + 60 aggregates
    expect(r.pendingAtRecovery).toBeGreaterThan(50);
    expect(r.deliveredAfterRecovery).toBe(r.pendingAtRecovery);
    expect(r.deliveredInOrder).toBe(true);
    expect(r.lostWithinCapacity).toBe(0);
    expect(r.dropped + r.pendingAtRecovery).toBe(r.producedDuringOutage); // every message accounted for
    expect(r.droppedReportedInTelemetry).toBe(r.dropped);
    expect(r.pendingAtEnd).toBe(0);
  });

  it('with a count bound smaller than the byte bound, the count bound holds', () => {
    const r = runOutage({ outageMs: 600_000, maxCount: 20, maxBytes: 1_000_000 });
    expect(r.peakPending).toBe(20);
    expect(r.boundViolations).toBe(0);
    expect(r.deliveredAfterRecovery).toBe(20);
    expect(r.lostWithinCapacity).toBe(0);
    expect(r.deliveredInOrder).toBe(true);
    expect(r.droppedReportedInTelemetry).toBe(r.dropped);
  });
});
