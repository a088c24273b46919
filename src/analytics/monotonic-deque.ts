/**
 * Sliding-window minimum or maximum over the last `capacity` pushed values, by a monotonic
 * deque held in two fixed typed arrays (values and their sequence numbers). Each value enters
 * and leaves the deque once, so a push costs amortized O(1) whatever the window size.
 * Equal values tie (the newest is kept), so -0 and +0 are not told apart.
 */
export class MonotonicDeque {
  readonly capacity: number;
  /** 'max' keeps the window maximum, 'min' the minimum. */
  readonly kind: 'min' | 'max';
  private readonly values: Float64Array;
  /** Sequence number of each held value; float64 counts exactly to 2^53. */
  private readonly seqs: Float64Array;
  private head = 0;
  private size = 0;
  /** Sequence number the next push receives. */
  private seq = 0;

  constructor(capacity: number, kind: 'min' | 'max') {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`deque capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.kind = kind;
    this.values = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
  }

  /** The window's extremum (NaN when nothing was pushed). */
  get value(): number {
    return this.size === 0 ? NaN : this.values[this.head];
  }

  /** How many candidates the deque holds (for tests). */
  get length(): number {
    return this.size;
  }

  push(x: number): void {
    const cap = this.capacity;
    // Drop the front when it has slid out of the window (at most one per push).
    if (this.size > 0 && this.seqs[this.head] <= this.seq - cap) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.size--;
    }
    // Drop candidates from the back that x dominates: they can never be the extremum again.
    const max = this.kind === 'max';
    while (this.size > 0) {
      let back = this.head + this.size - 1;
      if (back >= cap) back -= cap;
      const v = this.values[back];
      if (max ? v > x : v < x) break;
      this.size--;
    }
    let tail = this.head + this.size;
    if (tail >= cap) tail -= cap;
    this.values[tail] = x;
    this.seqs[tail] = this.seq;
    this.size++;
    this.seq++;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
    this.seq = 0;
  }
}
