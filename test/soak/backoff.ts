/**
 * The reconnect policy as it behaves, not as it is written: many MqttClients (src/mqtt/client)
 * with seeded randomness against a simulated broker that is down, in simulated time; the delays
 * each one schedules (onReconnectScheduled) are checked against the documented model
 * (src/mqtt/backoff.ts, 'full' jitter): failure k waits uniform in [min, min(max, min * 2^(k+1))].
 *
 *   per failure k: all delays within bounds; Kolmogorov-Smirnov distance of
 *   u = (d - min) / (hi_k - min) from U(0,1); the median grows about 2x per failure until the cap.
 * And refused credentials (CONNACK 5): attempts over an hour bounded by the ceiling.
 */
import { MqttClient } from '../../src/mqtt/client';
import { SimBroker } from '../fault/sim-broker';
import { FakeClock, FakeTimers } from '../device/fake-host';
import { seededRandom } from './rng';

export interface BackoffStudyOptions {
  clients: number;
  failures: number;
  minMs?: number;
  maxMs?: number;
}

export interface FailureStats {
  k: number;
  n: number;
  lo: number;
  hi: number;
  min: number;
  max: number;
  median: number;
  p10: number;
  p90: number;
  /** KS distance from the uniform model (undefined when the model is a single point). */
  ks: number | undefined;
}

export interface BackoffStudy {
  minMs: number;
  maxMs: number;
  clients: number;
  samples: number;
  perFailure: FailureStats[];
  /** Largest KS distance over the jittered failures, and the 0.1% critical value for n. */
  ksMax: number;
  ksCritical: number;
  outOfBounds: number;
  /** median(k) / median(k-1) for the failures before the cap. */
  growth: number[];
}

function quantile(sorted: number[], p: number): number {
  const i = (sorted.length - 1) * p;
  const a = Math.floor(i);
  const b = Math.min(sorted.length - 1, a + 1);
  return sorted[a] + (sorted[b] - sorted[a]) * (i - a);
}

/** One-sample KS distance of values in [0,1] from U(0,1). */
export function ksUniform(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) d = Math.max(d, (i + 1) / n - s[i], s[i] - i / n);
  return d;
}

export function runBackoffStudy(options: BackoffStudyOptions): BackoffStudy {
  const minMs = options.minMs ?? 1000;
  const maxMs = options.maxMs ?? 100_000;
  const delays: number[][] = Array.from({ length: options.failures }, () => []);
  for (let c = 0; c < options.clients; c++) {
    const clock = new FakeClock();
    const timers = new FakeTimers(clock);
    const broker = new SimBroker(clock, timers, { latencyMs: 5 });
    broker.down = true;
    let k = 0;
    const client = new MqttClient(
      { host: 'sim', port: 1883, clientId: `c${c}`, backoff: { minMs, maxMs } },
      { clock, timers, network: broker, random: seededRandom(1000 + c) },
      {
        onReconnectScheduled: (delay) => {
          if (k < options.failures) delays[k].push(delay);
          k++;
        },
      },
    );
    client.start();
    for (let guard = 0; k < options.failures && guard < options.failures * 4; guard++) timers.advance(maxMs + 1000);
    client.close();
  }
  let outOfBounds = 0;
  let ksMax = 0;
  const perFailure: FailureStats[] = delays.map((ds, k) => {
    // The documented full-jitter model: failure k waits uniform in [min, min(max, min * 2^(k+1))].
    const hi = k + 1 >= 30 ? maxMs : Math.min(maxMs, minMs * 2 ** (k + 1));
    for (const d of ds) if (d < minMs || d > hi) outOfBounds++;
    const sorted = [...ds].sort((a, b) => a - b);
    const ks = hi > minMs ? ksUniform(ds.map((d) => (d - minMs) / (hi - minMs))) : undefined;
    if (ks !== undefined) ksMax = Math.max(ksMax, ks);
    return { k, n: ds.length, lo: minMs, hi, min: sorted[0], max: sorted[sorted.length - 1], median: quantile(sorted, 0.5), p10: quantile(sorted, 0.1), p90: quantile(sorted, 0.9), ks };
  });
  const growth: number[] = [];
  for (let k = 1; k < perFailure.length && perFailure[k].hi < maxMs; k++) growth.push(perFailure[k].median / perFailure[k - 1].median);
  return {
    minMs,
    maxMs,
    clients: options.clients,
    samples: delays.reduce((a, d) => a + d.length, 0),
    perFailure,
    ksMax,
    // Critical value at alpha = 0.001: 1.95 / sqrt(n).
    ksCritical: 1.95 / Math.sqrt(options.clients),
    outOfBounds,
    growth,
  };
}

export interface BadCredentialsResult {
  windowMs: number;
  attempts: number;
  /** The most attempts the ceiling allows in the window: 1 + window / maxMs. */
  bound: number;
  shortestGapMs: number;
  /** Same window against a broker that is merely down (ordinary backoff), for comparison. */
  attemptsWhileDown: number;
}

/** Refused credentials for `windowMs` of simulated time: attempts and the shortest gap between them. */
export function runBadCredentials(windowMs: number, backoff = { minMs: 1000, maxMs: 100_000 }): BadCredentialsResult {
  const run = (refuse: boolean): number[] => {
    const clock = new FakeClock();
    const timers = new FakeTimers(clock);
    const broker = new SimBroker(clock, timers, { latencyMs: 5, authenticate: () => 5 });
    broker.down = !refuse;
    const client = new MqttClient(
      { host: 'sim', port: 1883, clientId: 'bad', username: 'u', password: 'wrong', backoff },
      { clock, timers, network: broker, random: seededRandom(9) },
    );
    client.start();
    timers.advance(windowMs);
    client.close();
    return broker.attemptTimes;
  };
  const times = run(true);
  let shortest = Infinity;
  for (let i = 1; i < times.length; i++) shortest = Math.min(shortest, times[i] - times[i - 1]);
  return { windowMs, attempts: times.length, bound: 1 + Math.floor(windowMs / backoff.maxMs), shortestGapMs: shortest, attemptsWhileDown: run(false).length };
}
