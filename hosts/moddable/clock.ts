import Time from 'time';
import type { Clock } from '../../src/platform';

/** Before this instant (2023-01-01) the RTC has not been set: the device booted at 1970. */
const EARLIEST_VALID_EPOCH_MS = 1672531200000;

/**
 * Clock over Moddable's Time.ticks (milliseconds since boot) and Date.now().
 * ticks is 32-bit on some targets, so deltas are accumulated with wrap-around.
 */
export class ModdableClock implements Clock {
  private lastTicks = Time.ticks;
  private elapsed = 0;

  now(): number {
    const ticks = Time.ticks;
    let delta = ticks - this.lastTicks;
    if (delta < 0) delta += 0x100000000;
    this.lastTicks = ticks;
    this.elapsed += delta;
    return this.elapsed;
  }

  epochMs(): number | undefined {
    const ms = Date.now();
    return ms >= EARLIEST_VALID_EPOCH_MS ? ms : undefined;
  }
}
