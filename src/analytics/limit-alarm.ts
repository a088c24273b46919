/**
 * High and low limit alarm for one sensor, as thermostats and freezer monitors do it: a limit,
 * a hysteresis band and a hold (delay) time: the alarm deadband and on-delay of alarm
 * management practice (ANSI/ISA-18.2, "Management of Alarm Systems for the Process Industries";
 * IEC 62682).
 *
 * - High: the value is above `high` once it exceeds it, and stays above until it falls below
 *   `high - hysteresis`; the alarm starts when it has been above for `holdMs` without a break,
 *   and ends (reason 'returned') when it falls below `high - hysteresis`. Low is the mirror
 *   image: below `low`, back above `low + hysteresis`. Noise around a limit smaller than the
 *   hysteresis therefore gives one alarm, not a chatter; a spike shorter than holdMs gives none.
 * - At most one alarm at a time (high and low cannot both hold when low < high - 2·hysteresis,
 *   which the settings enforce).
 * - `interrupt(reason)`: the sensor stopped giving values; an active alarm ends with that reason
 *   and the hold starts again with the next value. `configure` removing the alarm's limit ends
 *   it with reason 'reconfigured'; a moved limit is judged from the next value.
 *
 * Values °C, times ms; fixed memory, O(1) per sample, nothing allocated per sample.
 */
export type LimitSide = 'high' | 'low';
export type LimitEvent = 'none' | 'start' | 'end';
export type LimitEndReason = 'returned' | 'reconfigured' | 'missing' | 'faulty';

export class LimitAlarm {
  /** Limits in °C (NaN: none). */
  high = NaN;
  low = NaN;
  /** °C, >= 0. */
  hysteresis = 0;
  /** ms the violation must last before the alarm starts. */
  holdMs = 0;

  /** What the last push (or configure/interrupt) did. */
  event: LimitEvent = 'none';
  /** The side of the active (or just ended) alarm; undefined when none was ever raised. */
  side: LimitSide | undefined = undefined;
  active = false;
  endReason: LimitEndReason = 'returned';
  /** Alarms started since construction. */
  alarms = 0;

  private aboveSince = NaN;
  private belowSince = NaN;

  /** Sets the limits (NaN for none); an alarm the new limits no longer support ends. */
  configure(high: number, low: number, hysteresis: number, holdMs: number): LimitEvent {
    this.high = high;
    this.low = low;
    this.hysteresis = hysteresis > 0 ? hysteresis : 0;
    this.holdMs = holdMs > 0 ? holdMs : 0;
    this.event = 'none';
    if (high !== high) this.aboveSince = NaN;
    if (low !== low) this.belowSince = NaN;
    if (this.active && ((this.side === 'high' && this.aboveSince !== this.aboveSince) || (this.side === 'low' && this.belowSince !== this.belowSince))) {
      this.finish('reconfigured');
    }
    return this.event;
  }

  /** Judges one value (finite °C) at timeMs. */
  push(x: number, timeMs: number): LimitEvent {
    this.event = 'none';
    const high = this.high;
    const low = this.low;
    if (high === high) {
      if (x > high) {
        if (this.aboveSince !== this.aboveSince) this.aboveSince = timeMs;
      } else if (x < high - this.hysteresis) this.aboveSince = NaN;
    }
    if (low === low) {
      if (x < low) {
        if (this.belowSince !== this.belowSince) this.belowSince = timeMs;
      } else if (x > low + this.hysteresis) this.belowSince = NaN;
    }
    if (this.active) {
      const since = this.side === 'high' ? this.aboveSince : this.belowSince;
      if (since !== since) this.finish('returned');
      return this.event;
    }
    if (this.aboveSince === this.aboveSince && timeMs - this.aboveSince >= this.holdMs) this.raise('high');
    else if (this.belowSince === this.belowSince && timeMs - this.belowSince >= this.holdMs) this.raise('low');
    return this.event;
  }

  /** The sensor stopped giving values: an active alarm ends with `reason`; returns the event. */
  interrupt(reason: 'missing' | 'faulty'): LimitEvent {
    this.event = 'none';
    this.aboveSince = NaN;
    this.belowSince = NaN;
    if (this.active) this.finish(reason);
    return this.event;
  }

  private raise(side: LimitSide): void {
    this.active = true;
    this.side = side;
    this.alarms++;
    this.event = 'start';
  }

  private finish(reason: LimitEndReason): void {
    this.active = false;
    this.endReason = reason;
    this.event = 'end';
  }
}
