/**
 * Outbox properties under random operation sequences, restarts included: within capacity
 * nothing is lost, nothing acknowledged comes back, and messages are offered oldest first.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/device/outbox';
import { displayText } from '../../src/device/display-text';
import { FakeClock, MemoryStorage } from './fake-host';

type Op = { kind: 'push' } | { kind: 'take' } | { kind: 'ack'; pick: number } | { kind: 'fail'; pick: number } | { kind: 'restart' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: 'push' }),
  fc.constant<Op>({ kind: 'take' }),
  fc.nat(20).map<Op>((pick) => ({ kind: 'ack', pick })),
  fc.nat(20).map<Op>((pick) => ({ kind: 'fail', pick })),
  fc.constant<Op>({ kind: 'restart' }),
);

describe('outbox (property)', () => {
  it('never loses, duplicates after ack, or reorders within capacity, across restarts', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const storage = new MemoryStorage();
        const clock = new FakeClock();
        const make = (): Outbox => new Outbox(storage, clock, { maxCount: 1000, maxBytes: 1 << 20 });
        let box = make();
        let n = 0;
        const acked = new Set<string>();
        let inFlight: { seq: number; body: string }[] = [];
        for (const o of ops) {
          if (o.kind === 'push') box.push(`m${n++}`, { k: 'v' });
          else if (o.kind === 'take') {
            const m = box.takeNext();
            // Oldest first: the oldest message neither acknowledged nor in flight.
            let oldest: string | undefined;
            for (let i = 0; i < n && oldest === undefined; i++) {
              const b = `m${i}`;
              if (!acked.has(b) && !inFlight.some((f) => f.body === b)) oldest = b;
            }
            expect(m?.body).toBe(oldest);
            if (m) inFlight.push({ seq: m.seq, body: m.body });
          } else if ((o.kind === 'ack' || o.kind === 'fail') && inFlight.length > 0) {
            const m = inFlight.splice(o.pick % inFlight.length, 1)[0];
            if (o.kind === 'ack') {
              box.acknowledge(m.seq);
              acked.add(m.body);
            } else box.release(m.seq);
          } else if (o.kind === 'restart') {
            box = make();
            inFlight = [];
          }
        }
        // Drain: everything not acknowledged is still there, in push order.
        const rest: string[] = [];
        for (let m = box.takeNext(); m; m = box.takeNext()) rest.push(m.body);
        const expected: string[] = [];
        for (let i = 0; i < n; i++) if (!acked.has(`m${i}`) && !inFlight.some((f) => f.body === `m${i}`)) expected.push(`m${i}`);
        expect(rest).toEqual(expected);
        expect(box.counts.overflow).toBe(0);
        expect(box.counts.pending).toBe(n - acked.size);
      }),
      { numRuns: 300 },
    );
  });

  it('display text never contains control characters and respects the bound', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 80 }), (bytes, max) => {
        const text = displayText(bytes, max);
        expect(/[\u0000-\u001f\u007f-\u009f]/.test(text)).toBe(false);
        expect(Array.from(text).length).toBeLessThanOrEqual(max);
      }),
      { numRuns: 500 },
    );
  });
});
