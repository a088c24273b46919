/**
 * The heap budget's window term (src/device/heap-budget.ts deviceHeapBudget, which takes what a
 * window costs from src/analytics/window-stats.ts windowStatsBytes) against the
 * device's analytics as they are: chunk bytes per sensor at two window lengths, on the xs-device
 * engine (Moddable's string representation and a fixed heap; its meter reports the chunk in use).
 * Should a window sample come to cost more, the firmware would take on sensors its heap cannot
 * hold: this fails first.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { windowStatsBytes } from '../../src/analytics/window-stats';
import { deviceHeapBudget, LANE_WINDOW } from '../../src/device/heap-budget';
import { projectRoot, runInXs } from '../xs/lane';

const SENSORS = 24;
const ENTRY = path.join(projectRoot, 'test/device/window-memory-entry.ts');

/** Chunk bytes per sensor of the device's analytics with a `window`-sample window, after GC. */
function chunkPerSensor(window: number): number {
  const results = runInXs(ENTRY, [{ op: 'gc' }, { op: 'noop' }, { op: 'make', arg: { window, n: SENSORS } }, { op: 'gc' }, { op: 'noop' }], 'device');
  const before = results[1].chunkBytes;
  const after = results[4].chunkBytes;
  if (before === undefined || after === undefined) throw new Error('xs-device reported no chunk figure');
  return (after - before) / SENSORS;
}

describe('heap budget: what a window sample costs (xs-device)', () => {
  it('a window of 120 or 600 samples costs a sensor what the budget says more than one of 60, to within 16 B', () => {
    const atLane = chunkPerSensor(LANE_WINDOW);
    for (const window of [120, 600]) {
      const measured = chunkPerSensor(window) - atLane;
      const budgeted = deviceHeapBudget(window).perSensor.chunkBytes - deviceHeapBudget(LANE_WINDOW).perSensor.chunkBytes;
      expect(budgeted).toBe(windowStatsBytes(window) - windowStatsBytes(LANE_WINDOW));
      expect(Math.abs(measured - budgeted), `window ${window}: measured ${measured} B, budgeted ${budgeted} B`).toBeLessThanOrEqual(16);
    }
  }, 120_000);
});
