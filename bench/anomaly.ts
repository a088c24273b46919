/**
 * Anomaly alerts: false alerts per sensor-day on normal signals and detection rate and delay on
 * real events, for the device's detector and for the plain rule it started from, in one run.
 *
 * Everything is seeded and in simulated time (samples carry timestamps; nothing waits), at 1 Hz
 * and 0.1 Hz. The device side is exactly what the firmware runs at its defaults: the
 * AnalyticsFactory the device is built with (src/device/adapters/analytics windowAnalytics(),
 * window 60) created with DEFAULT_CONFIG.anomalyThreshold and told the sensor's resolution, as
 * the device does; an alert is a 'start' transition. The baseline is the plain rule
 * |x - mean| / std > 3 over the previous 60 samples with no hysteresis: every such sample is an
 * alert.
 *
 * No-event cells (bench/anomaly-corpus.ts): steady signals at 9..12 bits and noise sigma 0.01,
 * 0.03, 0.1 °C with the true temperature swept across one quantisation step (sensor-day i of n
 * sits i/n of a step above a step boundary), a daily sine of ±2 °C and an HVAC triangle of
 * ±0.5 °C / 20 min at 12 bits. Every alert counts, start-up included.
 * Event cells, 12 bits, each sigma: after a 30-minute warm-up an event starts; a trial detects
 * it when an alert starts at or after the onset within the class's horizon; delay = samples
 * from the onset (0 = on the onset sample). Each trial runs a control on the same noise without
 * the event: `controlAlertRate` is the share of controls with an alert in the same span.
 *
 * Detection bound (rampDelayBound): for the 10-minute ramp at each noise level, the smallest
 * median delay any detector could have at the false-alarm goal, from the Neyman–Pearson lemma;
 * a goal below it is marked `reachable: false` with the bound and its calculation beside it.
 *
 * Run: npm run bench:anomaly [-- --days N --trials N]  (writes bench/results/anomaly.json; exits 1
 * when a reachable goal is missed, and prints every unreachable one with its bound)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { normalUpperQuantile } from '../src/analytics/normal-tail';
import { WindowStats } from '../src/analytics/window-stats';
import { windowAnalytics } from '../src/device/adapters/analytics';
import { DEFAULT_CONFIG } from '../src/device/config';
import { DAY_MS, eventClasses, Gaussian, noEventClasses, quantise, SIGMAS, stepFor, type EventClass, type NoEventClass } from './anomaly-corpus';

const projectRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** One detector fed one sample at a time; returns true when an alert starts on this sample. */
export interface BenchDetector {
  push(x: number, tMs: number): boolean;
}

export type DetectorName = 'device' | 'baseline';

/** The device's detector path at its defaults, told the sensor's resolution. */
export function deviceDetector(bits: number): BenchDetector {
  const a = windowAnalytics().create('bench', DEFAULT_CONFIG.anomalyThreshold);
  a.setResolution(bits);
  return { push: (x, t) => a.push(x, t).transition === 'start' };
}

/** The plain rule: |x - mean| / std > 3 over the previous 60 samples, every such sample an alert. */
export function baselineDetector(): BenchDetector {
  const w = new WindowStats(60);
  return {
    push: (x, t) => {
      const alert = w.count >= 60 && Math.abs(x - w.mean) / w.std > 3;
      w.push(x, t);
      return alert;
    },
  };
}

const DETECTORS: Readonly<Record<DetectorName, (bits: number) => BenchDetector>> = Object.freeze({ device: deviceDetector, baseline: () => baselineDetector() });
const NAMES: readonly DetectorName[] = ['device', 'baseline'];

export interface NoEventCell {
  kind: 'no-event';
  name: string;
  rateHz: number;
  bits: number;
  sigma: number;
  sensorDays: number;
  falseAlertsPerSensorDay: Record<DetectorName, number>;
}

export interface EventCell {
  kind: 'event';
  name: string;
  key: string;
  rateHz: number;
  bits: number;
  sigma: number;
  trials: number;
  detectionRate: Record<DetectorName, number>;
  medianDelaySamples: Record<DetectorName, number | null>;
  p95DelaySamples: Record<DetectorName, number | null>;
  controlAlertRate: Record<DetectorName, number>;
}

function seedOf(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
  return h;
}

/** Runs one no-event cell: `days` sensors, one simulated day each. */
export function runNoEvent(c: NoEventClass, rateHz: number, days: number, cellIndex: number): NoEventCell {
  const periodMs = 1000 / rateHz;
  const perDay = Math.round(DAY_MS / periodMs);
  const q = stepFor(c.bits);
  const alerts: Record<DetectorName, number> = { device: 0, baseline: 0 };
  for (let i = 0; i < days; i++) {
    const noise = new Gaussian(seedOf(1, cellIndex, i, rateHz * 10));
    const signal = c.signal(i, days);
    const dets = NAMES.map((n) => DETECTORS[n](c.bits));
    for (let k = 0; k < perDay; k++) {
      const t = k * periodMs;
      const x = quantise(signal(t) + c.sigma * noise.next(), q);
      for (let d = 0; d < dets.length; d++) if (dets[d].push(x, t)) alerts[NAMES[d]]++;
    }
  }
  const per = (n: DetectorName) => alerts[n] / days;
  return { kind: 'no-event', name: c.name, rateHz, bits: c.bits, sigma: c.sigma, sensorDays: days, falseAlertsPerSensorDay: { device: per('device'), baseline: per('baseline') } };
}

interface TrialOutcome {
  delay: number | undefined;
  controlAlert: boolean;
}

/** One trial: the event series and its control on the same noise, through every detector. */
function runTrial(e: EventClass, rateHz: number, bits: number, sigma: number, seed: number): Record<DetectorName, TrialOutcome> {
  const periodMs = 1000 / rateHz;
  const onset = Math.round((30 * 60_000) / periodMs);
  const end = onset + Math.round(e.horizonMs / periodMs);
  const q = stepFor(bits);
  const noise = new Gaussian(seed);
  const base = 20 + noise.uniform();
  const ev = NAMES.map((n) => DETECTORS[n](bits));
  const ctl = NAMES.map((n) => DETECTORS[n](bits));
  const out = NAMES.map((): TrialOutcome => ({ delay: undefined, controlAlert: false }));
  for (let k = 0; k < end; k++) {
    const t = k * periodMs;
    const truth = base + sigma * noise.next();
    const xe = quantise(truth + (k >= onset ? e.offset(k, onset, periodMs) : 0), q);
    const xc = quantise(truth, q);
    for (let d = 0; d < ev.length; d++) {
      const alertE = ev[d].push(xe, t);
      const alertC = ctl[d].push(xc, t);
      if (k < onset) continue;
      if (alertE && out[d].delay === undefined) out[d].delay = k - onset;
      if (alertC) out[d].controlAlert = true;
    }
  }
  return { device: out[0], baseline: out[1] };
}

function quantile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export function runEvent(e: EventClass, rateHz: number, bits: number, sigma: number, trials: number, cellIndex: number): EventCell {
  const delays: Record<DetectorName, number[]> = { device: [], baseline: [] };
  const controls: Record<DetectorName, number> = { device: 0, baseline: 0 };
  for (let i = 0; i < trials; i++) {
    const r = runTrial(e, rateHz, bits, sigma, seedOf(2, cellIndex, i, rateHz * 10));
    for (const n of NAMES) {
      if (r[n].delay !== undefined) delays[n].push(r[n].delay as number);
      if (r[n].controlAlert) controls[n]++;
    }
  }
  const cell: EventCell = {
    kind: 'event', name: e.name, key: e.key, rateHz, bits, sigma, trials,
    detectionRate: { device: 0, baseline: 0 }, medianDelaySamples: { device: null, baseline: null },
    p95DelaySamples: { device: null, baseline: null }, controlAlertRate: { device: 0, baseline: 0 },
  };
  for (const n of NAMES) {
    const d = delays[n].sort((a, b) => a - b);
    cell.detectionRate[n] = d.length / trials;
    cell.medianDelaySamples[n] = quantile(d, 0.5);
    cell.p95DelaySamples[n] = quantile(d, 0.95);
    cell.controlAlertRate[n] = controls[n] / trials;
  }
  return cell;
}

export interface DetectorSummary {
  maxFalseAlertsPerSensorDay: number;
  minDetectionRate: number;
  /** Median delay in samples at 1 Hz, the worst (largest) over the noise levels. */
  delaySamples: Record<'spike' | 'step1' | 'step03' | 'ramp10min', number | null>;
}

export interface Goal {
  goal: string;
  worst: number | null;
  ok: boolean;
  /** False when no detector can meet the goal at the false-alarm goal (see `bound`). */
  reachable: boolean;
  /** The smallest median delay any detector can have where the goal is unreachable, samples. */
  bound?: number;
}

/** How a ramp's detection delay is bounded below at one noise level (see rampDelayBound). */
export interface RampBound {
  event: string;
  rateHz: number;
  sigma: number;
  /** Noise with the quantisation's share, sqrt(sigma² + q²/12), °C. */
  sigmaEff: number;
  /** Rise per sample, °C. */
  risePerSample: number;
  /** False alerts per sensor-day the detector may have (the goal). */
  falseAlertsPerDay: number;
  /** The smallest median delay any detector can have, samples. */
  minMedianDelay: number;
  /** Per delay n: the signal-to-noise ratio d and the threshold z at the window's false-alarm share. */
  steps: { delay: number; d: number; z: number }[];
  calculation: string;
}

export interface AnomalyBench {
  device: DetectorSummary;
  baseline: DetectorSummary;
  goals: Goal[];
  /** Every goal met. */
  ok: boolean;
  /** Every reachable goal met (the bench's exit status). */
  okWhereReachable: boolean;
  /** Lower bounds on the 10-minute ramp's median delay at 0.1 Hz, one per noise level. */
  rampBounds: RampBound[];
  sensorDaysPerCell: Record<string, number>;
  trialsPerEventCell: number;
  cells: (NoEventCell | EventCell)[];
}

function worstMedian(cells: EventCell[], n: DetectorName, keys: string[], pick: (c: EventCell) => boolean): number | null {
  let worst: number | null = null;
  for (const c of cells) {
    if (!keys.includes(c.key) || !pick(c)) continue;
    const m = c.medianDelaySamples[n];
    if (m === null) return null;
    if (worst === null || m > worst) worst = m;
  }
  return worst;
}

function summarise(noEvent: NoEventCell[], events: EventCell[], n: DetectorName): DetectorSummary {
  const at1 = (c: EventCell) => c.rateHz === 1;
  return {
    maxFalseAlertsPerSensorDay: Math.max(...noEvent.map((c) => c.falseAlertsPerSensorDay[n])),
    minDetectionRate: Math.min(...events.map((c) => c.detectionRate[n])),
    delaySamples: {
      spike: worstMedian(events, n, ['spike'], at1),
      step1: worstMedian(events, n, ['step1', 'step-1'], at1),
      step03: worstMedian(events, n, ['step03'], at1),
      ramp10min: worstMedian(events, n, ['ramp10min'], at1),
    },
  };
}

const FALSE_ALERT_GOAL = 0.15;
const RAMP10_AT_01HZ_GOAL = 2;

/**
 * Lower bound on the median detection delay of a ramp adding `risePerSample`·(i + 1) °C at
 * sample i = 0, 1, ... after its onset, for any detector with at most `alertsPerDay` false
 * alerts a day on white Gaussian noise of `sigmaEff`, one sample per `periodMs`.
 *
 * A stationary detector alarms in a given window of n + 1 samples with probability at most
 * α = (n + 1)·alertsPerDay·periodMs/day when there is no event. The most powerful test of
 * "ramp in these n + 1 samples" against "no ramp" at that size, which even knows the baseline,
 * the onset and the slope (Neyman–Pearson lemma; the matched filter), detects with probability
 * Φ(d − z(α)), d = ‖s‖/σ, s the ramp's offsets. Delay <= n in half the trials needs d >= z(α):
 * the smallest such n bounds the median delay. z from normalUpperQuantile (above the exact
 * quantile by < 0.02 here, so the bound may be low by a fraction of a sample, never high).
 */
export function rampDelayBound(event: string, rateHz: number, sigma: number, step: number, risePerSample: number, alertsPerDay: number): RampBound {
  const periodMs = 1000 / rateHz;
  const sigmaEff = Math.sqrt(sigma * sigma + (step * step) / 12);
  const steps: RampBound['steps'] = [];
  let energy = 0;
  let n = 0;
  for (; n < 1000; n++) {
    const s = risePerSample * (n + 1);
    energy += s * s;
    const d = Math.sqrt(energy) / sigmaEff;
    const z = normalUpperQuantile(((n + 1) * alertsPerDay * periodMs) / DAY_MS);
    steps.push({ delay: n, d: Math.round(d * 100) / 100, z: Math.round(z * 100) / 100 });
    if (d >= z) break;
  }
  const r = (x: number) => Math.round(x * 10000) / 10000;
  return {
    event, rateHz, sigma, sigmaEff: r(sigmaEff), risePerSample, falseAlertsPerDay: alertsPerDay, minMedianDelay: n, steps,
    calculation: `sigmaEff = sqrt(${sigma}^2 + ${step}^2/12) = ${r(sigmaEff)} °C; ramp offsets ${risePerSample}·(i+1) °C; ` +
      `delay n needs d = sqrt(sum of offsets^2 over i <= n)/sigmaEff >= z((n+1)·${alertsPerDay}·${periodMs} ms/day); ` +
      `first at n = ${n}: d = ${steps[n].d} >= z = ${steps[n].z}` + (n > 0 ? ` (n = ${n - 1}: d = ${steps[n - 1].d} < z = ${steps[n - 1].z})` : ''),
  };
}

/** The 10-minute ramp's bounds at 0.1 Hz and 12 bits, one per noise level. */
export function ramp10Bounds(): RampBound[] {
  const rateHz = 0.1;
  const risePerSample = 3 / ((10 * 60_000) * rateHz / 1000);
  return SIGMAS.map((sigma) => rampDelayBound('ramp10min', rateHz, sigma, stepFor(12), risePerSample, FALSE_ALERT_GOAL));
}

/** The goals, judged on the device detector (delays on the median of each cell). */
function judge(noEvent: NoEventCell[], events: EventCell[], bounds: RampBound[]): Goal[] {
  const within = (goal: string, v: number | null, max: number): Goal => ({ goal, worst: v, ok: v !== null && v <= max, reachable: true });
  const fa = Math.max(...noEvent.map((c) => c.falseAlertsPerSensorDay.device));
  const det = Math.min(...events.map((c) => c.detectionRate.device));
  const lowNoise = (c: EventCell) => c.sigma <= 0.03;
  const rate = (hz: number) => (c: EventCell) => c.rateHz === hz;
  return [
    within('every no-event cell <= 0.15 false alerts per sensor-day', fa, 0.15),
    { goal: 'every event cell detected in >= 99% of trials', worst: det, ok: det >= 0.99, reachable: true },
    within('spike on its own sample (median delay 0)', worstMedian(events, 'device', ['spike'], () => true), 0),
    within('±1 °C steps within 3 samples', worstMedian(events, 'device', ['step1', 'step-1'], () => true), 3),
    within('+0.3 °C step within 10 samples at sigma <= 0.03', worstMedian(events, 'device', ['step03'], lowNoise), 10),
    within('10-minute ramp within 120 s at 1 Hz', worstMedian(events, 'device', ['ramp10min'], rate(1)), 120),
    ...bounds.map((b) => {
      const g = within(`10-minute ramp within ${RAMP10_AT_01HZ_GOAL} samples at 0.1 Hz, sigma ${b.sigma}`, worstMedian(events, 'device', ['ramp10min'], (c) => rate(0.1)(c) && c.sigma === b.sigma), RAMP10_AT_01HZ_GOAL);
      return b.minMedianDelay <= RAMP10_AT_01HZ_GOAL ? g : { ...g, reachable: false, bound: b.minMedianDelay };
    }),
  ];
}

export function measure(days: Record<string, number>, trials: number, log: (line: string) => void = () => {}): AnomalyBench {
  const noEvent: NoEventCell[] = [];
  const events: EventCell[] = [];
  const classes = noEventClasses();
  for (const rateHz of [1, 0.1]) {
    classes.forEach((c, i) => {
      noEvent.push(runNoEvent(c, rateHz, days[String(rateHz)], i));
      log(`no-event ${c.name} ${c.bits}-bit sigma ${c.sigma} @ ${rateHz} Hz done`);
    });
    eventClasses().forEach((e, i) => {
      SIGMAS.forEach((sigma, j) => events.push(runEvent(e, rateHz, 12, sigma, trials, i * 10 + j)));
      log(`event ${e.name} @ ${rateHz} Hz done`);
    });
  }
  const rampBounds = ramp10Bounds();
  const goals = judge(noEvent, events, rampBounds);
  return {
    device: summarise(noEvent, events, 'device'),
    baseline: summarise(noEvent, events, 'baseline'),
    goals,
    ok: goals.every((g) => g.ok),
    okWhereReachable: goals.every((g) => g.ok || !g.reachable),
    rampBounds,
    sensorDaysPerCell: days,
    trialsPerEventCell: trials,
    cells: [...noEvent, ...events],
  };
}

function fmt(x: number | null): string {
  return x === null ? '-' : String(Math.round(x * 1000) / 1000);
}

function printTables(bench: AnomalyBench): void {
  console.log('No-event cells: false alerts per sensor-day (goal <= 0.15)');
  console.table(bench.cells.filter((c): c is NoEventCell => c.kind === 'no-event').map((c) => ({
    class: c.name, Hz: c.rateHz, bits: c.bits, sigma: c.sigma, days: c.sensorDays,
    device: fmt(c.falseAlertsPerSensorDay.device), baseline: fmt(c.falseAlertsPerSensorDay.baseline),
  })));
  console.log('Event cells (12 bits): detection rate, median / p95 delay in samples, control alert rate');
  console.table(bench.cells.filter((c): c is EventCell => c.kind === 'event').map((c) => ({
    class: c.name, Hz: c.rateHz, sigma: c.sigma,
    'device det': fmt(c.detectionRate.device), 'device delay': `${fmt(c.medianDelaySamples.device)} / ${fmt(c.p95DelaySamples.device)}`,
    'device ctl': fmt(c.controlAlertRate.device),
    'baseline det': fmt(c.detectionRate.baseline), 'baseline delay': `${fmt(c.medianDelaySamples.baseline)} / ${fmt(c.p95DelaySamples.baseline)}`,
    'baseline ctl': fmt(c.controlAlertRate.baseline),
  })));
  console.log('Summary:', JSON.stringify({ device: bench.device, baseline: bench.baseline }));
  console.table(bench.goals.map((g) => ({ goal: g.goal, worst: fmt(g.worst), ok: g.ok, reachable: g.reachable, bound: g.bound ?? '' })));
  for (const b of bench.rampBounds) console.log(`bound, ${b.event} at ${b.rateHz} Hz, sigma ${b.sigma}: median delay >= ${b.minMedianDelay} samples for any detector at ${b.falseAlertsPerDay} false alerts/day. ${b.calculation}`);
}

function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function main(): void {
  const d = argNumber('--days', 10);
  const bench = measure({ '1': d, '0.1': Math.max(d, 2 * d) }, argNumber('--trials', 200), (line) => console.error(line));
  printTables(bench);
  const out = path.join(projectRoot, 'bench/results/anomaly.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(bench, null, 2) + '\n');
  console.log(`wrote ${path.relative(projectRoot, out)}`);
  for (const g of bench.goals) if (!g.ok && !g.reachable) console.error(`anomaly bench: goal unreachable by any detector: ${g.goal} (median ${fmt(g.worst)}, bound ${g.bound})`);
  if (!bench.okWhereReachable) {
    console.error('anomaly bench: goal missed');
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
