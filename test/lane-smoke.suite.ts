/** Proves the harness itself: engine-visible facts that must hold in Node and XS alike. */
import type { Suite } from './harness';

export const suite: Suite = {
  name: 'lane-smoke',
  cases: [
    {
      name: 'float64 arithmetic is IEEE-754 in both engines',
      run: (t) => {
        const values = new Float64Array([0.1, 0.2, 1e308, -0]);
        t.equal(values[0] + values[1], 0.30000000000000004);
        t.equal(Object.is(values[3], -0), true);
        return [values[0] + values[1], Math.sqrt(2), Math.fround(1.1)];
      },
    },
    {
      name: 'TextEncoder and DataView exist',
      run: (t) => {
        const bytes = new TextEncoder().encode('é€');
        t.equal(bytes.length, 5);
        const view = new DataView(new ArrayBuffer(4));
        view.setUint16(0, 0xbeef);
        return [Array.from(bytes), view.getUint8(0)];
      },
    },
  ],
};
