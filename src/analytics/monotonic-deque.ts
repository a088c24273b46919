import type { Ring } from './ring';

/**
 * Sliding-window minimum or maximum over the values of a ring buffer (the window is the ring's
 * content), by a monotonic deque of the ring's slot indices (Lemire, "Streaming maximum-minimum
 * filter using no more than three comparisons per element", Nordic J. Computing 13(4), 2006).
 * Each value enters and leaves the deque once, so a push costs amortized O(1) whatever the
 * window size.
 *
 * The deque holds indices, not copies: 1 or 2 bytes per slot instead of 16 (a value and its
 * sequence number as float64), which is most of a sensor's analytics memory on an ESP32. A held
 * index leaves the front exactly when the ring overwrites its slot, because the ring writes its
 * slots in order and the deque keeps them in that order.
 *
 * Equal values tie (the newest is kept), so -0 and +0 are not told apart.
 *
 * Memory layout: the algorithm (dequeUpdate, dequeFront) works on state the caller owns: the
 * indices in q[qAt .. qAt + cap), the deque's head and size in hs[hsAt], hs[hsAt + 1], the ring's
 * slots in values[valuesAt .. valuesAt + cap). WindowStats keeps two deques in one index array and
 * their head and size in its state array; the MonotonicDeque class wraps one over a Ring.
 */

/** Throws RangeError when a ring of `capacity` slots cannot be indexed in 16 bits. */
export function checkDequeCapacity(capacity: number): void {
  if (capacity > 0x10000) throw new RangeError(`deque: ring capacity ${capacity} exceeds 65536`);
}

/** Slot indices: 1 byte each for rings of up to 256 slots, else 2. */
export type DequeIndices = Uint8Array | Uint16Array;

/** Bytes per index in a ring of `capacity` slots. */
export function dequeIndexBytes(capacity: number): number {
  return capacity <= 0x100 ? 1 : 2;
}

/**
 * An index array for `count` indices into a ring of `capacity` slots (see checkDequeCapacity):
 * its own, or a view on `buffer` at `byteOffset` (even) so a caller keeps one chunk.
 */
export function dequeIndices(capacity: number, count: number, buffer?: ArrayBuffer, byteOffset = 0): DequeIndices {
  if (buffer === undefined) return capacity <= 0x100 ? new Uint8Array(count) : new Uint16Array(count);
  return capacity <= 0x100 ? new Uint8Array(buffer, byteOffset, count) : new Uint16Array(buffer, byteOffset, count);
}

/** The ring's values: WindowStats keeps Float32, Ring Float64. */
export type DequeValues = Float32Array | Float64Array;

/** The extremum: the value in the front's slot (NaN when the deque is empty). */
export function dequeFront(q: DequeIndices, qAt: number, hs: Float64Array, hsAt: number, values: DequeValues, valuesAt: number): number {
  return hs[hsAt + 1] === 0 ? NaN : values[valuesAt + q[qAt + hs[hsAt]]];
}

/**
 * Takes the value the ring just wrote into `slot` into account; call it once after each ring
 * push. `max` true keeps the maximum, false the minimum.
 */
export function dequeUpdate(q: DequeIndices, qAt: number, hs: Float64Array, hsAt: number, values: DequeValues, valuesAt: number, cap: number, slot: number, max: boolean): void {
  let head = hs[hsAt];
  let size = hs[hsAt + 1];
  // The front's slot was just overwritten: it has slid out of the window.
  if (size > 0 && q[qAt + head] === slot) {
    head = head + 1 === cap ? 0 : head + 1;
    size--;
  }
  const x = values[valuesAt + slot];
  // Drop candidates from the back that x dominates: they can never be the extremum again.
  while (size > 0) {
    let back = head + size - 1;
    if (back >= cap) back -= cap;
    const v = values[valuesAt + q[qAt + back]];
    if (max ? v > x : v < x) break;
    size--;
  }
  let tail = head + size;
  if (tail >= cap) tail -= cap;
  q[qAt + tail] = slot;
  hs[hsAt] = head;
  hs[hsAt + 1] = size + 1;
}

/** One deque over a Ring (WindowStats keeps its own deques, see dequeUpdate). */
export class MonotonicDeque {
  /** 'max' keeps the window maximum, 'min' the minimum. */
  readonly kind: 'min' | 'max';
  private readonly ring: Ring;
  private readonly slots: DequeIndices;
  /** Head and size. */
  private readonly hs = new Float64Array(2);

  /** Throws RangeError when the ring has more than 65,536 slots (indices are 16-bit). */
  constructor(ring: Ring, kind: 'min' | 'max') {
    checkDequeCapacity(ring.capacity);
    this.ring = ring;
    this.kind = kind;
    this.slots = dequeIndices(ring.capacity, ring.capacity);
  }

  /** The window's extremum (NaN when the deque is empty). */
  get value(): number {
    return dequeFront(this.slots, 0, this.hs, 0, this.ring.data, 0);
  }

  /** How many candidates the deque holds (for tests). */
  get length(): number {
    return this.hs[1];
  }

  /** Takes the ring's newest value into account; call it once after each `ring.push`. */
  update(): void {
    const ring = this.ring;
    dequeUpdate(this.slots, 0, this.hs, 0, ring.data, 0, ring.capacity, ring.newestSlot(), this.kind === 'max');
  }

  /** Empties the deque (with its ring's clear). */
  clear(): void {
    this.hs[0] = 0;
    this.hs[1] = 0;
  }
}
