/** XS entry for the shared test suites: `runSuite` runs one suite by name inside XS. */
import { runSuite, type Json, type Suite } from '../harness';
import { serve } from './serve';

export function serveSuites(suites: Suite[]): void {
  serve({
    listSuites: () => suites.map((s) => s.name),
    runSuite: (name) => {
      const suite = suites.find((s) => s.name === name);
      if (!suite) throw new Error(`no suite ${String(name)}`);
      return runSuite(suite) as unknown as Json;
    },
  });
}
