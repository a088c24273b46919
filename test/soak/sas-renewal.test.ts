/** 24 simulated hours with 1-hour SAS tokens (the full size; it takes about a second). */
import { describe, expect, it } from 'vitest';
import { runSasRenewal } from './sas-renewal';

describe('soak: SAS renewal over 24 simulated hours', () => {
  it('renews about every 48 minutes, never lets a token expire, loses nothing, no gap beyond the reconnect', async () => {
    const r = await runSasRenewal({ hours: 24, sasLifetimeS: 3600, telemetryEveryMs: 1000, latencyMs: 400 });
    expect(r.renewals).toBeGreaterThanOrEqual(29);
    expect(r.renewals).toBeLessThanOrEqual(30);
    expect(r.meanRenewalIntervalMin).toBeGreaterThan(47.9);
    expect(r.meanRenewalIntervalMin).toBeLessThan(48.2);
    expect(r.expiredKicks).toBe(0);
    expect(r.refused).toBe(0);
    expect(r.unplannedDisconnects).toBe(0);
    expect(r.inFlightAtRenewal).toBeGreaterThan(5); // renewals really happened under traffic
    expect(r.sent).toBeGreaterThan(86_000);
    expect(r.lost).toBe(0);
    expect(r.failedSends).toBe(0);
    expect(r.duplicates).toBeLessThanOrEqual(r.inFlightAtRenewal); // at-least-once: a resend per interrupted PUBLISH at most
    // The only gap beyond the telemetry period is one reconnect: DISCONNECT, TCP, CONNECT/CONNACK (3 one-way trips).
    expect(r.maxGapMs).toBeLessThanOrEqual(r.telemetryEveryMs + 4 * 400);
  });
});
