/** CI form of the delivery soak: 2,000 QoS 1 messages, 20 cuts, 1 broker restart (bench/soak.ts runs 10,000 / 100 / 3). */
import { describe, expect, it } from 'vitest';
import { runDelivery } from './delivery';

describe('soak: QoS 1 delivery through cuts and a broker restart', () => {
  it('loses nothing; duplicates at most one per connection loss with a window of 1', async () => {
    const r = await runDelivery({ messages: 2000, cuts: 20, restarts: 1, window: 1, timeoutMs: 45_000, seed: 3 });
    expect(r.timedOut).toBe(false);
    expect(r.lostIds).toEqual([]);
    expect(r.lost).toBe(0);
    expect(r.acked).toBe(2000);
    expect(r.cuts).toBe(20);
    expect(r.connectionsCut).toBe(20); // every cut hit a live connection
    expect(r.restarts).toBe(1);
    expect(r.connects).toBeGreaterThanOrEqual(22);
    expect(r.duplicates).toBeLessThanOrEqual(r.cuts);
  });
});
