/**
 * A periodic job on the host's one-shot timers, re-armed from its own previous deadline so it
 * does not drift: a run that fires late moves the next deadline by one interval from the missed
 * one, never to before now (no bursts of catch-up runs).
 */
import type { Clock, TimerId, Timers } from '../platform';

export class Schedule {
  private readonly timers: Timers;
  private readonly clock: Clock;
  private readonly interval: () => number;
  private readonly run: () => void;
  private readonly active: () => boolean;
  private timer: TimerId | undefined;
  /** Monotonic ms of the next run. */
  private due = 0;

  /**
   * `interval`: read at every arming, so a configuration change takes effect on the next one.
   * `active`: false once the device stops; a timer firing after that does nothing.
   */
  constructor(timers: Timers, clock: Clock, interval: () => number, run: () => void, active: () => boolean) {
    this.timers = timers;
    this.clock = clock;
    this.interval = interval;
    this.run = run;
    this.active = active;
  }

  /** Arms the next run: one interval from now (`fromNow`) or from the previous deadline. */
  arm(fromNow: boolean): void {
    this.cancel();
    const now = this.clock.now();
    this.due = fromNow ? now + this.interval() : Math.max(this.due + this.interval(), now);
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      if (!this.active()) return;
      this.run();
      if (this.active()) this.arm(false);
    }, this.due - now);
  }

  /** Ms until the next run is due (0 when due or not armed). */
  msUntilDue(): number {
    return this.timer === undefined ? 0 : Math.max(0, this.due - this.clock.now());
  }

  cancel(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
  }
}
