/** The XS heap the machine was created with: `slots` (count; 16 B each on ESP32, 32 B on a 64-bit simulator) and `chunkBytes`. */
export interface HeapLimits {
  slots: number;
  chunkBytes: number;
}

/**
 * This machine's heap sizes, read from XS (modheap.c), so the firmware can size what it takes on
 * (heap-budget in src/device) to the heap it was really built with, not to what a config claims.
 */
export function heapLimits(this: unknown): HeapLimits {
  return native('xs_thermo_heap_limits').call(this) as HeapLimits;
}
