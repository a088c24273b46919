/**
 * A fixed-capacity ring buffer of numbers over one Float64Array. Pushing into a full ring
 * overwrites the oldest value. Nothing allocates after construction.
 */
export class Ring {
  readonly capacity: number;
  /** The slots, written in order and wrapping (slot indices as newestSlot gives them); read through the methods. */
  readonly data: Float64Array;
  /** Index of the oldest value. */
  private head = 0;
  private size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.data = new Float64Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  get full(): boolean {
    return this.size === this.capacity;
  }

  /** Appends `value`; when full, the oldest value is dropped (read it first with `oldest()`). */
  push(value: number): void {
    let tail = this.head + this.size;
    if (tail >= this.capacity) tail -= this.capacity;
    this.data[tail] = value;
    if (this.size === this.capacity) {
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    } else {
      this.size++;
    }
  }

  /** Removes and returns the oldest value (NaN when empty). */
  shift(): number {
    if (this.size === 0) return NaN;
    const value = this.data[this.head];
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.size--;
    return value;
  }

  /** The i-th value, 0 being the oldest (NaN when out of range). */
  at(i: number): number {
    if (i < 0 || i >= this.size) return NaN;
    let index = this.head + i;
    if (index >= this.capacity) index -= this.capacity;
    return this.data[index];
  }

  /** The oldest value (NaN when empty). */
  oldest(): number {
    return this.size === 0 ? NaN : this.data[this.head];
  }

  /** Index of the slot the last push wrote (-1 when empty). */
  newestSlot(): number {
    if (this.size === 0) return -1;
    const index = this.head + this.size - 1;
    return index >= this.capacity ? index - this.capacity : index;
  }

  /** The value held in slot `index` (0 ≤ index < capacity), whether or not it is still in the ring. */
  valueInSlot(index: number): number {
    return this.data[index];
  }

  /** The newest value (NaN when empty). */
  newest(): number {
    return this.at(this.size - 1);
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  /** Copies the values, oldest first, into `target` (which must hold `length` values); returns the count. */
  copyTo(target: Float64Array): number {
    if (target.length < this.size) throw new RangeError(`copyTo target holds ${target.length}, need ${this.size}`);
    for (let i = 0; i < this.size; i++) target[i] = this.at(i);
    return this.size;
  }
}
