/**
 * Runs Ds18b20Driver read cycles on host Timers, for applications that sample on a schedule.
 * Callback style (XS-friendly, no allocation of promises unless asked for).
 */
import type { Timers } from '../platform';
import type { Ds18b20Driver, SensorReading } from './ds18b20';

export class Ds18b20Sampler {
  constructor(
    private readonly driver: Ds18b20Driver,
    private readonly timers: Timers,
  ) {}

  /** Reads every sensor once; `onDone` gets one entry per sensor. Throws if a cycle is running. */
  read(onDone: (readings: SensorReading[]) => void, onError?: (error: unknown) => void): void {
    const driver = this.driver;
    const timers = this.timers;
    const wait = driver.startConversion();
    const step = (): void => {
      try {
        const next = driver.readAll();
        if (next.done) onDone(next.readings);
        else timers.set(step, next.waitMs);
      } catch (error) {
        if (onError) onError(error);
        else throw error;
      }
    };
    timers.set(step, wait);
  }

  /** The same as a Promise. */
  readAll(): Promise<SensorReading[]> {
    return new Promise((resolve, reject) => this.read(resolve, reject));
  }
}
