/**
 * The XS lane: every shared suite runs inside the real XS engine, and each case must pass there
 * and return exactly what it returns in Node. Twice: on xsnap (@agoric/xsnap: CESU-8 strings,
 * a 4096-slot stack) and on xs-device (scripts/build-xs-device.mjs: UTF-8 strings as on
 * Moddable's devices and simulator, the ESP32 firmware's 896-slot stack, a fixed heap), the
 * build that catches what only Moddable's runtime shows: code points above 0xFFFF from
 * charCodeAt, stack overflow on large argument lists or recursion over input.
 */
import { describe, expect, it } from 'vitest';
import { runSuite, type CaseReport } from './harness';
import { loadSuites } from './suites';
import { runInXs, type XsEngine } from './xs/lane';

const suites = await loadSuites();
const engines: XsEngine[] = ['xsnap', 'device'];

for (const engine of engines) {
  describe(`XS lane (${engine})`, () => {
    const xsReports = new Map<string, CaseReport[]>();

    it('starts XS and runs every suite there', () => {
      const results = runInXs('--suites', [{ op: 'listSuites' }, ...suites.map((s) => ({ op: 'runSuite', arg: s.name }))], engine);
      const [list, ...runs] = results;
      expect(list.reply).toEqual({ ok: true, value: suites.map((s) => s.name) });
      runs.forEach((run, i) => {
        if (!run.reply.ok) throw new Error(`suite ${suites[i].name} failed in XS (${engine}): ${run.reply.error}`);
        xsReports.set(suites[i].name, run.reply.value as unknown as CaseReport[]);
      });
      expect(xsReports.size).toBe(suites.length);
    }, 15 * 60_000); // correctness, not speed: every suite in one XS process takes minutes on a loaded machine

    for (const suite of suites) {
      it(`${suite.name}: passes in XS (${engine}) with the same results as in Node`, () => {
        const inXs = xsReports.get(suite.name);
        expect(inXs, 'XS did not run this suite').toBeDefined();
        const failures = inXs!.filter((r) => !r.ok);
        expect(failures, 'cases failing in XS').toEqual([]);
        expect(inXs).toEqual(runSuite(suite));
      });
    }
  });
}
