/** Seeded randomness for the soak scenarios (mulberry32): the same seed gives the same run of faults. */
import type { Random } from '../../src/platform';
import { mulberry32 } from '../fixtures/mulberry32';

export { mulberry32 };

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
