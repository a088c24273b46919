/** Runs every shared suite in Node, one vitest test per case. */
import { describe, it } from 'vitest';
import { runCase } from './harness';
import { loadSuites } from './suites';

const suites = await loadSuites();

for (const suite of suites) {
  describe(suite.name, () => {
    for (const c of suite.cases) {
      it(c.name, () => {
        const report = runCase(c);
        if (!report.ok) throw new Error(report.error);
      });
    }
  });
}
