/** Ring buffer and min/max deques against plain-array models (fast-check). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MonotonicDeque } from '../../src/analytics/monotonic-deque';
import { Ring } from '../../src/analytics/ring';

type Op = { kind: 'push'; x: number } | { kind: 'shift' } | { kind: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.double({ noNaN: true }).map((x) => ({ kind: 'push' as const, x })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'shift' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

describe('Ring', () => {
  it('behaves like a bounded array that drops its oldest values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
        const ring = new Ring(capacity);
        const model: number[] = [];
        for (const o of ops) {
          if (o.kind === 'push') {
            ring.push(o.x);
            model.push(o.x);
            if (model.length > capacity) model.shift();
          } else if (o.kind === 'shift') {
            const got = ring.shift();
            const want = model.length ? model.shift()! : NaN;
            expect(Object.is(got, want)).toBe(true);
          } else {
            ring.clear();
            model.length = 0;
          }
          expect(ring.length).toBe(model.length);
          expect(ring.full).toBe(model.length === capacity);
          for (let i = 0; i < model.length; i++) expect(Object.is(ring.at(i), model[i])).toBe(true);
          expect(Object.is(ring.oldest(), model.length ? model[0] : NaN)).toBe(true);
          expect(Object.is(ring.newest(), model.length ? model[model.length - 1] : NaN)).toBe(true);
        }
        const out = new Float64Array(capacity);
        expect(ring.copyTo(out)).toBe(model.length);
        expect(Array.from(out.subarray(0, model.length))).toEqual(model);
      }),
      { numRuns: 300 },
    );
  });
});

describe('MonotonicDeque', () => {
  it('gives the min and max of the last `capacity` values', () => {
    // Small integers make ties frequent; doubles cover the rest.
    const value = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.array(value, { minLength: 1, maxLength: 300 }), (capacity, xs) => {
        const ring = new Ring(capacity);
        const min = new MonotonicDeque(ring, 'min');
        const max = new MonotonicDeque(ring, 'max');
        xs.forEach((x, i) => {
          ring.push(x);
          min.update();
          max.update();
          const window = xs.slice(Math.max(0, i + 1 - capacity), i + 1);
          expect(min.value === Math.min(...window)).toBe(true); // === : -0 and +0 tie
          expect(max.value === Math.max(...window)).toBe(true);
          expect(min.length).toBeLessThanOrEqual(capacity);
          expect(max.length).toBeLessThanOrEqual(capacity);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('follows a cleared ring from empty, and refuses a ring too large for 16-bit indices', () => {
    const ring = new Ring(3);
    const max = new MonotonicDeque(ring, 'max');
    for (const x of [5, 1, 2]) {
      ring.push(x);
      max.update();
    }
    expect(max.value).toBe(5);
    ring.clear();
    max.clear();
    expect(Number.isNaN(max.value)).toBe(true);
    for (const x of [1, 2, 0, 0]) {
      ring.push(x);
      max.update();
    }
    expect(max.value).toBe(2);
    expect(() => new MonotonicDeque(new Ring(0x10001), 'min')).toThrow(RangeError);
  });
});
