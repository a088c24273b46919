/** CI form of the half-open soak: one stall with a 2 s keepalive (bench/soak.ts runs 5). */
import { describe, expect, it } from 'vitest';
import { runHalfOpen } from './half-open';

describe('soak: half-open connection', () => {
  it('is detected within 1.5x the keepalive and recovered, with every message acknowledged', async () => {
    const r = await runHalfOpen({ rounds: 1, keepAliveS: 2, timeoutMs: 20_000 });
    expect(r.timedOut).toBe(false);
    expect(r.rounds).toHaveLength(1);
    expect(r.rounds[0].reason).toBe('KEEPALIVE_TIMEOUT');
    expect(r.halfOpenDetectRatio).toBeGreaterThan(1); // it did wait for the keepalive, not something else
    expect(r.halfOpenDetectRatio).toBeLessThanOrEqual(1.5);
    expect(r.maxRecoverMs).toBeLessThan(2000);
    expect(r.acked).toBe(r.published);
    expect(r.published).toBeGreaterThan(10);
  });
});
