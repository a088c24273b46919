/** Shared (Node + XS): JSON text of an object with a large array, built item by item (src/device/json-text). */
import type { Json, Suite } from '../harness';
import { jsonWithArray } from '../../src/device/json-text';

const ITEMS: Json[][] = [[], [1], [{ id: '28AA', name: 'Küche Süd 😀', value: 21.5, mean: null }, { id: '28BB', anomaly: false }], ['a"b\\c', 'x\u2028y'], [[1, [2]], { nested: { deep: [true] } }]];

export const suite: Suite = {
  name: 'device/json-text',
  cases: [
    {
      name: 'jsonWithArray gives exactly JSON.stringify of the whole object, for empty, single, nested and non-ASCII items',
      run: (t) => {
        const out: Json[] = [];
        for (const items of ITEMS) {
          const head = { v: 1, type: 'telemetry', ts: null, skipped: undefined };
          const tail = { outbox: { pending: 0 }, hub: undefined, last: 'é' };
          const text = jsonWithArray(head, 'sensors', items.map((i) => JSON.stringify(i)), tail);
          t.equal(text, JSON.stringify({ ...head, sensors: items, ...tail }));
          out.push(text);
        }
        return out;
      },
    },
    {
      name: 'jsonWithArray refuses a head without a member (nothing to splice after); an empty tail is fine',
      run: (t) => {
        let refused = 0;
        for (const head of [{}, { a: undefined }] as Record<string, unknown>[]) {
          try {
            jsonWithArray(head, 'k', ['1'], { b: 2 });
          } catch (e) {
            t.ok(e instanceof TypeError);
            refused++;
          }
        }
        t.equal(refused, 2);
        const text = jsonWithArray({ a: 1 }, 'k', ['1', '"x"'], { gone: undefined });
        t.equal(text, JSON.stringify({ a: 1, k: [1, 'x'] }));
        return [refused, text];
      },
    },
  ],
};
