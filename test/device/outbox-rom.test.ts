/**
 * On Moddable's XS, JSON.stringify marks each object it visits, and an object preloaded into
 * flash (every frozen module-level object, e.g. telemetry.ts's shared property sets) cannot be
 * marked: stringify throws "read only value". Node does not, so this checks the rule directly:
 * nothing the outbox stringifies contains a caller's properties object itself.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Outbox } from '../../src/device/outbox';
import { properties } from '../../src/device/telemetry';
import { FakeClock, MemoryStorage } from './fake-host';

/** Whether `value` is `target` or holds it (own enumerable properties, any depth). */
function holds(value: unknown, target: object, seen = new Set<unknown>()): boolean {
  if (value === target) return true;
  if (value === null || typeof value !== 'object' || seen.has(value)) return false;
  seen.add(value);
  return Object.values(value).some((v) => holds(v, target, seen));
}

afterEach(() => vi.restoreAllMocks());

describe('outbox and preloaded (read-only) objects', () => {
  it('stores and folds messages with the shared frozen property sets without stringifying them', () => {
    const shared = properties('telemetry');
    expect(Object.isFrozen(shared), 'the shared set is frozen: preloaded on the device').toBe(true);
    const stringify = vi.spyOn(JSON, 'stringify');
    const box = new Outbox(new MemoryStorage(), new FakeClock(), { maxCount: 3 });
    for (let i = 0; i < 5; i++) box.push(`{"n":${i}}`, shared, true);
    box.persist();
    const offending = stringify.mock.calls.filter((args) => holds(args[0], shared));
    expect(offending.length, 'JSON.stringify called on a graph holding the shared properties object').toBe(0);
    expect(stringify.mock.calls.length).toBeGreaterThan(0);
  });
});
