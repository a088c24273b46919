/**
 * The XS lane: every shared suite runs inside the real XS engine (@agoric/xsnap), and each
 * case must pass there and return exactly what it returns in Node.
 */
import { describe, expect, it } from 'vitest';
import { runSuite, type CaseReport } from './harness';
import { loadSuites } from './suites';
import { runInXs } from './xs/lane';

const suites = await loadSuites();

describe('XS lane', () => {
  const xsReports = new Map<string, CaseReport[]>();

  it('starts XS and runs every suite there', () => {
    const results = runInXs('--suites', [{ op: 'listSuites' }, ...suites.map((s) => ({ op: 'runSuite', arg: s.name }))]);
    const [list, ...runs] = results;
    expect(list.reply).toEqual({ ok: true, value: suites.map((s) => s.name) });
    runs.forEach((run, i) => {
      if (!run.reply.ok) throw new Error(`suite ${suites[i].name} failed in XS: ${run.reply.error}`);
      xsReports.set(suites[i].name, run.reply.value as unknown as CaseReport[]);
    });
    expect(xsReports.size).toBe(suites.length);
  });

  for (const suite of suites) {
    it(`${suite.name}: passes in XS with the same results as in Node`, () => {
      const inXs = xsReports.get(suite.name);
      expect(inXs, 'XS did not run this suite').toBeDefined();
      const failures = inXs!.filter((r) => !r.ok);
      expect(failures, 'cases failing in XS').toEqual([]);
      expect(inXs).toEqual(runSuite(suite));
    });
  }
});
