/**
 * JSON text of an object with one large array member, built from the array's items as JSON text
 * one at a time. Serialising the whole object tree at once keeps every item's objects live
 * together: with 24 sensors a getStats answer or a telemetry message was about 600 XS slots of
 * objects at once, on top of a heap the ESP32 fills to 90 % (issue 11). Here each item's objects
 * are garbage as soon as its text is made; only the texts (chunk heap) remain.
 */

/**
 * `JSON.stringify({ ...head, [key]: items, ...tail })` where `items` are the array's elements
 * already as JSON text: the same text, key order head, key, tail. Takes `items` over (its first
 * and last entries are rewritten) so the result is made by one join: at most the items and the
 * result are live at once, as for JSON.stringify of the whole tree. `head` and `tail` are plain
 * objects; `head` needs at least one serialisable member (TypeError otherwise: there is nothing
 * to splice after), `tail` may have none.
 */
export function jsonWithArray(head: Record<string, unknown>, key: string, items: string[], tail: Record<string, unknown>): string {
  const h = JSON.stringify(head);
  const t = JSON.stringify(tail);
  if (h.length < 3) throw new TypeError('jsonWithArray: head needs a member');
  const open = `${h.slice(0, -1)},${JSON.stringify(key)}:[`;
  const close = t.length < 3 ? ']}' : `],${t.slice(1)}`;
  const last = items.length - 1;
  if (last < 0) return open + close;
  items[0] = open + items[0];
  items[last] = items[last] + close;
  return items.join(',');
}
