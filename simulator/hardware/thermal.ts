/**
 * The temperature a simulated sensor sees: ambient + linear drift + seeded noise + injected
 * anomalies (steps that persist, spikes that pass). Times are the bus clock's ms.
 */
import { Prng } from './prng';

export interface ThermalOptions {
  /** °C. Default 21. */
  ambient?: number;
  /** °C per hour. Default 0. */
  driftPerHour?: number;
  /** Standard deviation of the noise, °C. Default 0 (exact values). */
  noise?: number;
  seed?: number;
}

export type Anomaly =
  | { kind: 'step'; at: number; delta: number }
  | { kind: 'spike'; at: number; delta: number; durationMs: number };

export class ThermalModel {
  ambient: number;
  driftPerHour: number;
  noise: number;
  private readonly rng: Prng;
  private driftOrigin = 0;
  readonly anomalies: Anomaly[] = [];

  constructor(options: ThermalOptions = {}) {
    this.ambient = options.ambient ?? 21;
    this.driftPerHour = options.driftPerHour ?? 0;
    this.noise = options.noise ?? 0;
    this.rng = new Prng(options.seed ?? 1);
  }

  /** Sets the ambient temperature from time `now` on (drift restarts from there). */
  setAmbient(celsius: number, now: number): void {
    this.ambient = celsius;
    this.driftOrigin = now;
  }

  /** A lasting change of `delta` °C from `at` on. */
  injectStep(delta: number, at: number): void {
    this.anomalies.push({ kind: 'step', at, delta });
  }

  /** A short excursion of `delta` °C during [at, at + durationMs). */
  injectSpike(delta: number, durationMs: number, at: number): void {
    this.anomalies.push({ kind: 'spike', at, delta, durationMs });
  }

  clearAnomalies(): void {
    this.anomalies.length = 0;
  }

  /** The true temperature at time `now` (one noise draw per call). */
  sample(now: number): number {
    let t = this.ambient + (this.driftPerHour * (now - this.driftOrigin)) / 3_600_000;
    if (this.noise > 0) t += this.noise * this.rng.nextGaussian();
    for (const a of this.anomalies) {
      if (now < a.at) continue;
      if (a.kind === 'step' || now < a.at + a.durationMs) t += a.delta;
    }
    return t;
  }
}
