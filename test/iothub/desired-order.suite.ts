/**
 * Shared (Node + XS): desired-property ordering (src/iothub/desired-order). The full twin read
 * at connect is the truth whatever its version; versions order patches within one connection.
 */
import { DesiredOrder, type DesiredDelivery } from '../../src/iothub/desired-order';
import type { Suite } from '../harness';

function show(list: DesiredDelivery[]): string[] {
  return list.map((d) => `${d.full ? 'full' : 'patch'} v${d.version} ${JSON.stringify(d.desired)}`);
}

export const suite: Suite = {
  name: 'iothub/desired-order',
  cases: [
    {
      name: 'a twin re-created on the hub (desired $version 7 -> 1): the full read at connect is taken, and its next patch',
      run(t) {
        const o = new DesiredOrder();
        o.newConnection();
        o.beginResync();
        const first = o.fullDocument(7, { resolution: 12 });
        t.equal(o.patch(8, { resolution: 11 }).deliver.length, 1);
        // The device reconnects; meanwhile the twin was deleted and created again.
        o.newConnection();
        o.beginResync();
        const held = o.patch(2, { resolution: 10 }); // a patch racing the read is held, not dropped
        t.equal(held.deliver.length, 0);
        t.equal(held.resync, false, 'a read is already running');
        const read = o.fullDocument(1, { resolution: 9 });
        t.equal(show(read).join(' | '), 'full v1 {"resolution":9} | patch v2 {"resolution":10}');
        const next = o.patch(3, { resolution: 11 });
        t.equal(show(next.deliver).join(' | '), 'patch v3 {"resolution":11}');
        t.equal(o.version, 3);
        return [...show(first), ...show(read), ...show(next.deliver)];
      },
    },
    {
      name: 'within a connection: stale patches are dropped, a gap is held and asks for a full read',
      run(t) {
        const o = new DesiredOrder();
        o.newConnection();
        o.beginResync();
        o.fullDocument(4, {});
        t.equal(o.patch(4, { a: 1 }).deliver.length, 0, 'v4 is already part of the document');
        const gap = o.patch(6, { a: 6 });
        t.equal(gap.deliver.length, 0);
        t.equal(gap.resync, true);
        o.beginResync();
        const late5 = o.patch(5, { a: 5 });
        t.equal(late5.resync, false);
        const read = o.fullDocument(5, { a: 5 });
        t.equal(show(read).join(' | '), 'full v5 {"a":5} | patch v6 {"a":6}');
        // The same version from an earlier connection never reaches the next one.
        o.patch(8, { stale: true });
        o.newConnection();
        o.beginResync();
        t.equal(show(o.fullDocument(2, {})).join(' | '), 'full v2 {}');
        return show(read);
      },
    },
  ],
};
