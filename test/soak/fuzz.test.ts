/** CI form of the fuzz soak: 100,000 mutated packets each through the decoder and the session, in a child process with --expose-gc (the soak runs 1,000,000 each). */
import { describe, expect, it } from 'vitest';
import { runFuzz } from './fuzz';

describe('soak: fuzzed packets', () => {
  it('no escaped exception, no hang, heap flat after GC', async () => {
    const r = await runFuzz(100_000, 2026, 50_000);
    expect(r.timedOut).toBe(false);
    expect(r.firstEscape).toBe('');
    expect(r.escaped).toBe(0);
    expect(r.decoderInputs).toBe(100_000);
    expect(r.sessionInputs).toBe(100_000);
    // The corpus exercised both paths and the session really reconnected many times.
    expect(r.decoderErrors).toBeGreaterThan(30_000);
    expect(r.decoderPackets).toBeGreaterThan(10_000);
    expect(r.sessionCloses).toBeGreaterThan(1000);
    expect(r.slowestInputMs).toBeLessThan(1000);
    expect(r.heapDelta).toBeLessThan(2 * 1024 * 1024);
  }, 60_000);
});
