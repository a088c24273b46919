import Debug from 'debug';
import Instrumentation from 'instrumentation';
import type { Log, Timers } from '../../src/platform';

export interface MemorySample {
  /** XS slot heap in use after a full collection, bytes (slots are 16 B on ESP32, 32 B on a 64-bit simulator). */
  slotBytes: number;
  /** XS chunk heap in use after a full collection, bytes. */
  chunkBytes: number;
  /** Peak of the XS stack, bytes. */
  stackBytes: number;
}

/**
 * Measures the live XS heap: at once and then every `intervalMs` it collects garbage (Debug.gc) and then reads
 * the SDK's instrumentation counters, and logs one line `memory slots=.. chunk=.. stack=..`
 * (bytes). Right after a collection "used" is what is reachable, not what awaits collection,
 * which is what a device with a fixed heap must hold. Off unless config.memoryProbeMs > 0.
 */
export function startMemoryProbe(timers: Timers, log: Log, intervalMs: number, onSample?: (s: MemorySample) => void): void {
  const slot = Instrumentation.map('XS Slot Heap Used');
  const chunk = Instrumentation.map('XS Chunk Heap Used');
  const stack = Instrumentation.map('XS Stack Used');
  const tick = (): void => {
    Debug.gc();
    const s: MemorySample = {
      slotBytes: Instrumentation.get(slot) ?? -1,
      chunkBytes: Instrumentation.get(chunk) ?? -1,
      stackBytes: Instrumentation.get(stack) ?? -1,
    };
    log.write('info', 'memory', `slots=${s.slotBytes} chunk=${s.chunkBytes} stack=${s.stackBytes}`);
    onSample?.(s);
    timers.set(tick, intervalMs);
  };
  tick();
}
