/**
 * A tiny platform-neutral test harness. Suites written with it run unchanged in vitest (Node)
 * and inside XS (test/xs), and each case returns a JSON value so the two engines' results can
 * be compared exactly.
 */

export interface Check {
  ok(condition: unknown, message?: string): void;
  equal<T>(actual: T, expected: T, message?: string): void;
  /** |actual - expected| <= tolerance * max(1, |expected|) */
  close(actual: number, expected: number, relTolerance: number, message?: string): void;
  throws(fn: () => unknown, pattern?: RegExp, message?: string): void;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Case {
  name: string;
  /** Runs the case. Returns a JSON value compared across engines (undefined: nothing to compare). */
  run(t: Check): Json | void;
}

export interface Suite {
  name: string;
  cases: Case[];
}

export interface CaseReport {
  name: string;
  ok: boolean;
  error?: string;
  value?: Json;
}

export class CheckFailure extends Error {}

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export const check: Check = {
  ok(condition, message) {
    if (!condition) throw new CheckFailure(message ?? 'expected a truthy value');
  },
  equal(actual, expected, message) {
    const a = show(actual);
    const e = show(expected);
    if (!Object.is(actual, expected) && a !== e) {
      throw new CheckFailure(`${message ? message + ': ' : ''}expected ${e}, got ${a}`);
    }
  },
  close(actual, expected, relTolerance, message) {
    const bound = relTolerance * Math.max(1, Math.abs(expected));
    if (!(Math.abs(actual - expected) <= bound)) {
      throw new CheckFailure(`${message ? message + ': ' : ''}expected ${expected} ± ${bound}, got ${actual}`);
    }
  },
  throws(fn, pattern, message) {
    let threw = false;
    try {
      fn();
    } catch (error) {
      threw = true;
      const text = error instanceof Error ? error.message : String(error);
      if (pattern && !pattern.test(text)) {
        throw new CheckFailure(`${message ? message + ': ' : ''}error "${text}" does not match ${pattern}`);
      }
    }
    if (!threw) throw new CheckFailure(message ?? 'expected an exception');
  },
};

export function runCase(c: Case): CaseReport {
  try {
    const value = c.run(check);
    return value === undefined ? { name: c.name, ok: true } : { name: c.name, ok: true, value };
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { name: c.name, ok: false, error: text };
  }
}

export function runSuite(suite: Suite): CaseReport[] {
  return suite.cases.map(runCase);
}
