/**
 * XS entry for test/device/heap-budget.test.ts: `make {window, n}` creates and keeps `n` of the
 * device's per-sensor analytics (windowAnalytics) with a `window`-sample window, each fed a full
 * window of samples; `drop` releases them.
 */
import { serve } from '../xs/serve';
import { windowAnalytics } from '../../src/device/adapters/analytics';

let kept: object[] = [];

serve({
  make: (arg) => {
    const { window, n } = arg as { window: number; n: number };
    const factory = windowAnalytics({ window });
    for (let i = 0; i < n; i++) {
      const a = factory.create(`28-${window}-${i}`, 8);
      for (let k = 0; k < window + 5; k++) a.push(21.5 + (k % 7) * 0.01, 1.7e12 + k * 10_000);
      kept.push(a);
    }
    return kept.length;
  },
  drop: () => {
    kept = [];
    return 0;
  },
});
