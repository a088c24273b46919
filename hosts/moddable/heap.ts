import type { HeapSize } from '../../src/device/heap-budget';

/**
 * This machine's heap sizes (`slots`: 16 B each on ESP32, 32 B on a 64-bit simulator;
 * `chunkBytes`), read from XS (modheap.c), so the firmware can size what it takes on (heap-budget
 * in src/device) to the heap it was really built with, not to what a config claims.
 */
export function heapLimits(this: unknown): HeapSize {
  return native('xs_thermo_heap_limits').call(this) as HeapSize;
}
