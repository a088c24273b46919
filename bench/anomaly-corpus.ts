/**
 * The corpus of bench/anomaly.ts: seeded DS18B20-like signals in simulated time.
 *
 * A reading is the true temperature plus Gaussian noise, truncated to the resolution's step the
 * way the DS18B20 register does (src/sensors/temperature encodeTemperature: floor to
 * 0.5/0.25/0.125/0.0625 °C at 9/10/11/12 bits). Gaussian noise by the Box–Muller transform over
 * mulberry32, so every run draws the same numbers.
 */
import { mulberry32 } from '../test/fixtures/mulberry32';

export const DAY_MS = 86_400_000;

/** Quantisation step in °C at 9..12 bits. */
export function stepFor(bits: number): number {
  return 0.0625 * (1 << (12 - bits));
}

/** Standard normal deviates (Box–Muller, both values used), from a seeded mulberry32. */
export class Gaussian {
  private readonly rand: () => number;
  private spare = 0;
  private hasSpare = false;

  constructor(seed: number) {
    this.rand = mulberry32(seed);
  }

  next(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = this.rand();
    while (u <= 1e-300) u = this.rand();
    const r = Math.sqrt(-2 * Math.log(u));
    const a = 2 * Math.PI * this.rand();
    this.spare = r * Math.sin(a);
    this.hasSpare = true;
    return r * Math.cos(a);
  }

  uniform(): number {
    return this.rand();
  }
}

/** A DS18B20 reading of `celsius` at `bits` (truncated to the step, as the register is). */
export function quantise(celsius: number, step: number): number {
  return Math.floor(celsius / step) * step;
}

/** The true temperature of a no-event class at time t (ms since the sensor started). */
export type Signal = (tMs: number) => number;

export interface NoEventClass {
  name: string;
  bits: number;
  sigma: number;
  /** The true temperature of sensor-day `i` of `n`. */
  signal(i: number, n: number): Signal;
}

const BASE = 21;
const SIGMAS = [0.01, 0.03, 0.1] as const;
export { SIGMAS };

/** Steady signals at 9..12 bits and every noise level, swept across one quantisation step. */
function steadyClasses(): NoEventClass[] {
  const out: NoEventClass[] = [];
  for (const bits of [9, 10, 11, 12]) {
    for (const sigma of SIGMAS) {
      const q = stepFor(bits);
      out.push({ name: `steady ${bits}-bit`, bits, sigma, signal: (i, n) => () => BASE + (i / n) * q });
    }
  }
  return out;
}

/** A daily sine of ±2 °C and an HVAC triangle of ±0.5 °C with a 20-minute period, at 12 bits. */
function cycleClasses(): NoEventClass[] {
  const out: NoEventClass[] = [];
  for (const sigma of SIGMAS) {
    out.push({
      name: 'daily sine ±2',
      bits: 12,
      sigma,
      signal: (i, n) => (t) => BASE + 2 * Math.sin((2 * Math.PI * t) / DAY_MS + (2 * Math.PI * i) / n),
    });
    const period = 20 * 60_000;
    out.push({
      name: 'HVAC triangle ±0.5/20min',
      bits: 12,
      sigma,
      signal: (i, n) => (t) => {
        const phase = (t / period + i / n) % 1;
        return BASE - 0.5 + 2 * (phase < 0.5 ? phase : 1 - phase);
      },
    });
  }
  return out;
}

export function noEventClasses(): NoEventClass[] {
  return [...steadyClasses(), ...cycleClasses()];
}

/** An event added to the true temperature from `onset` (sample index) on. */
export interface EventClass {
  name: string;
  /** Key of the summary's delay figures. */
  key: string;
  /** °C added at sample index k (k >= onset) of a series sampled every periodMs. */
  offset(k: number, onset: number, periodMs: number): number;
  /** How long after onset a trial watches for the detection, ms. */
  horizonMs: number;
}

function ramp(total: number, durationMs: number): (k: number, onset: number, periodMs: number) => number {
  return (k, onset, periodMs) => {
    const t = (k - onset + 1) * periodMs;
    return t >= durationMs ? total : (total * t) / durationMs;
  };
}

export function eventClasses(): EventClass[] {
  return [
    { name: '+5 °C one-sample spike', key: 'spike', offset: (k, onset) => (k === onset ? 5 : 0), horizonMs: 10 * 60_000 },
    { name: '+1 °C step', key: 'step1', offset: () => 1, horizonMs: 20 * 60_000 },
    { name: '-1 °C step', key: 'step-1', offset: () => -1, horizonMs: 20 * 60_000 },
    { name: '+0.3 °C step', key: 'step03', offset: () => 0.3, horizonMs: 20 * 60_000 },
    { name: '+3 °C ramp over 10 min', key: 'ramp10min', offset: ramp(3, 10 * 60_000), horizonMs: 30 * 60_000 },
    { name: '+3 °C ramp over 60 min', key: 'ramp60min', offset: ramp(3, 60 * 60_000), horizonMs: 75 * 60_000 },
  ];
}
