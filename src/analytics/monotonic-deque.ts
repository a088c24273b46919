import type { Ring } from './ring';

/**
 * Sliding-window minimum or maximum over the values of a Ring (the window is the ring's
 * content), by a monotonic deque of the ring's slot indices (Lemire, "Streaming maximum-minimum
 * filter using no more than three comparisons per element", Nordic J. Computing 13(4), 2006).
 * Each value enters and leaves the deque once, so a push costs amortized O(1) whatever the
 * window size.
 *
 * The deque holds indices, not copies: 2 bytes per slot instead of 16 (a value and its
 * sequence number as float64), which is most of a sensor's analytics memory on an ESP32. A held
 * index leaves the front exactly when the ring overwrites its slot, because the ring writes its
 * slots in order and the deque keeps them in that order.
 *
 * Equal values tie (the newest is kept), so -0 and +0 are not told apart.
 */
export class MonotonicDeque {
  /** 'max' keeps the window maximum, 'min' the minimum. */
  readonly kind: 'min' | 'max';
  private readonly ring: Ring;
  private readonly slots: Uint16Array;
  private head = 0;
  private size = 0;

  /** Throws RangeError when the ring has more than 65,536 slots (indices are 16-bit). */
  constructor(ring: Ring, kind: 'min' | 'max') {
    if (ring.capacity > 0x10000) throw new RangeError(`deque: ring capacity ${ring.capacity} exceeds 65536`);
    this.ring = ring;
    this.kind = kind;
    this.slots = new Uint16Array(ring.capacity);
  }

  /** The window's extremum (NaN when the deque is empty). */
  get value(): number {
    return this.size === 0 ? NaN : this.ring.valueInSlot(this.slots[this.head]);
  }

  /** How many candidates the deque holds (for tests). */
  get length(): number {
    return this.size;
  }

  /** Takes the ring's newest value into account; call it once after each `ring.push`. */
  update(): void {
    const ring = this.ring;
    const cap = ring.capacity;
    const slot = ring.newestSlot();
    // The front's slot was just overwritten: it has slid out of the window.
    if (this.size > 0 && this.slots[this.head] === slot) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
    const x = ring.valueInSlot(slot);
    // Drop candidates from the back that x dominates: they can never be the extremum again.
    const max = this.kind === 'max';
    while (this.size > 0) {
      let back = this.head + this.size - 1;
      if (back >= cap) back -= cap;
      const v = ring.valueInSlot(this.slots[back]);
      if (max ? v > x : v < x) break;
      this.size--;
    }
    let tail = this.head + this.size;
    if (tail >= cap) tail -= cap;
    this.slots[tail] = slot;
    this.size++;
  }

  /** Empties the deque (with its ring's clear). */
  clear(): void {
    this.head = 0;
    this.size = 0;
  }
}
