import Timer from 'timer';
import type { TimerId, Timers } from '../../src/platform';

/** One-shot timers over Moddable's "timer" module. */
export class ModdableTimers implements Timers {
  set(callback: () => void, delayMs: number): TimerId {
    return Timer.set(() => callback(), delayMs < 0 ? 0 : delayMs);
  }

  clear(id: TimerId): void {
    // Clearing a fired one-shot timer is an error in Moddable; the caller's contract says ignore.
    try {
      Timer.clear(id as Timer);
    } catch {
      /* already fired */
    }
  }
}
