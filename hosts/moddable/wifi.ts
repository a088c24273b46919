import WiFi from 'wifi';
import type { Log, TimerId, Timers } from '../../src/platform';

export type LinkState = 'down' | 'connecting' | 'up';

/**
 * Station-mode Wi-Fi with reconnect: after a disconnect or a lost address it reconnects with
 * a growing delay (1 s doubling to 30 s). Without an SSID (the simulator) the link is up.
 */
export class WifiLink {
  private state: LinkState = 'down';
  private wifi: WiFi | undefined;
  private retryDelay = 1000;
  private retry: TimerId | undefined;

  constructor(
    private readonly ssid: string,
    private readonly password: string,
    private readonly timers: Timers,
    private readonly log: Log,
    private readonly onChange: (state: LinkState) => void,
  ) {}

  get current(): LinkState {
    return this.state;
  }

  start(): void {
    if (!this.ssid) {
      this.set('up');
      return;
    }
    this.connect();
  }

  private connect(): void {
    this.set('connecting');
    this.wifi?.close();
    const options = this.password ? { ssid: this.ssid, password: this.password } : { ssid: this.ssid };
    this.wifi = new WiFi(options, (message) => {
      if (message === WiFi.gotIP) {
        this.retryDelay = 1000;
        this.set('up');
      } else if (message === WiFi.disconnected || message === WiFi.lostIP) {
        // The driver repeats 'disconnect' while it fails; one pending retry is enough.
        if (this.retry !== undefined) return;
        this.set('down');
        this.log.write('warn', 'wifi', `link lost; reconnecting in ${this.retryDelay} ms`);
        const delay = this.retryDelay;
        this.retryDelay = Math.min(30000, this.retryDelay * 2);
        this.retry = this.timers.set(() => {
          this.retry = undefined;
          this.connect();
        }, delay);
      }
    });
  }

  private set(state: LinkState): void {
    if (state === this.state) return;
    this.state = state;
    this.onChange(state);
  }
}
