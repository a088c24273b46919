/** Seeded randomness for the soak scenarios (mulberry32): the same seed gives the same run of faults. */
import type { Random } from '../../src/platform';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seededRandom(seed: number): Random {
  const next = mulberry32(seed);
  return { next };
}

/** Polls `condition` every `everyMs` until it holds (true) or `deadline` (Date.now() ms) passes (false). */
export async function until(condition: () => boolean, deadline: number, everyMs = 2): Promise<boolean> {
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}
