import SNTP from 'sntp';
import Time from 'time';
import type { Clock, Log, Timers } from '../../src/platform';

/**
 * Sets the real time over SNTP before anything needs it (TLS certificate dates, SAS expiry).
 * Tries each server in turn, then waits and starts over, with a growing delay (max 60 s).
 * Done at once when the clock is already valid (the simulator runs on the host's clock).
 */
export class TimeSync {
  private attempt = 0;
  private client: SNTP | undefined;

  constructor(
    private readonly servers: string[],
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly log: Log,
  ) {}

  /** True while a request is out (the reference also keeps the SNTP client alive). */
  get pending(): boolean {
    return this.client !== undefined;
  }

  start(onSynced: () => void): void {
    if (this.clock.epochMs() !== undefined) {
      onSynced();
      return;
    }
    this.tryServer(0, onSynced);
  }

  private tryServer(index: number, onSynced: () => void): void {
    const host = this.servers[index % this.servers.length]!;
    this.client = new SNTP({ host }, (message, value) => {
      if (message === SNTP.time && value !== undefined) {
        Time.set(value);
        this.client = undefined;
        this.log.write('info', 'sntp', `time from ${host}`);
        onSynced();
      } else if (message === SNTP.error) {
        this.client = undefined;
        this.attempt++;
        const next = index + 1;
        const delay = next % this.servers.length === 0 ? Math.min(60000, 2000 * this.attempt) : 0;
        this.log.write('warn', 'sntp', `no time from ${host}; next try in ${delay} ms`);
        this.timers.set(() => this.tryServer(next, onSynced), delay);
      }
      // SNTP.retry: the module retries the same server itself.
    });
  }
}
