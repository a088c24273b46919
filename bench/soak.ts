/**
 * Reliability and security under faults, full size (the CI forms are test/soak/*.test.ts):
 *
 *   delivery     10,000 QoS 1 messages, 100 cuts, 3 mosquitto restarts (window 1; and window 10 for contrast)
 *   half-open    5 stalls with a 2 s keepalive: detection / keepalive
 *   outage       1 hour of hub outage at 1 Hz sampling (simulated time)
 *   sas          24 simulated hours with 1-hour SAS tokens
 *   backoff      2,000 clients x 12 failures; bad credentials over an hour
 *   fuzz         1,000,000 mutated packets through the decoder, 1,000,000 through the session and
 *                1,000,000 mutated MQTT 5.0 packets through a 5.0 decoder
 *   storm        10,000 cycles of random sensor faults
 *
 * Every scenario is bounded in count and time; the whole run stops by itself (budget below).
 * Writes bench/results/soak.json and prints a table; exits 1 if a goal is missed.
 * Run: npm run soak
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBackoffStudy, runBadCredentials } from '../test/soak/backoff';
import { runDelivery } from '../test/soak/delivery';
import { runFuzz } from '../test/soak/fuzz';
import { runHalfOpen } from '../test/soak/half-open';
import { runOutage } from '../test/soak/outage';
import { runSasRenewal } from '../test/soak/sas-renewal';
import { runStorm } from '../test/soak/storm';

const started = Date.now();
const BUDGET_MS = 9 * 60_000;
const left = (): number => Math.max(10_000, BUDGET_MS - (Date.now() - started));

interface Row {
  scenario: string;
  figure: string;
  value: number | string | boolean;
  goal: string;
  ok: boolean;
}
const rows: Row[] = [];
function row(scenario: string, figure: string, value: number | string | boolean, goal = '', ok = true): void {
  rows.push({ scenario, figure, value, goal, ok });
}
const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const t = (label: string) => process.stderr.write(`[soak] ${label} (${Math.round((Date.now() - started) / 1000)} s)\n`);

  t('delivery');
  const delivery = await runDelivery({ messages: 10_000, cuts: 100, restarts: 3, window: 1, timeoutMs: Math.min(240_000, left()), seed: 1 });
  row('delivery', 'messages', delivery.messages);
  row('delivery', 'lost', delivery.lost, '= 0', delivery.lost === 0 && !delivery.timedOut);
  row('delivery', 'duplicates', delivery.duplicates, `<= cuts (${delivery.cuts})`, delivery.duplicates <= delivery.cuts);
  row('delivery', 'cuts (live connections cut)', `${delivery.cuts} (${delivery.connectionsCut})`, '100', delivery.connectionsCut === 100);
  row('delivery', 'restarts', delivery.restarts, '3', delivery.restarts === 3);
  row('delivery', 'subscriber redeliveries (DUP=1)', delivery.redeliveries);
  row('delivery', 'duration ms', delivery.durationMs);

  t('delivery window 10');
  const wide = await runDelivery({ messages: 10_000, cuts: 100, restarts: 3, window: 10, timeoutMs: Math.min(240_000, left()), seed: 2 });
  const wideBound = wide.window * (wide.cuts + wide.restarts);
  row('delivery w=10', 'lost', wide.lost, '= 0', wide.lost === 0 && !wide.timedOut);
  row('delivery w=10', 'duplicates', wide.duplicates, `<= window x losses (${wideBound})`, wide.duplicates <= wideBound);

  t('half-open');
  const half = await runHalfOpen({ rounds: 5, keepAliveS: 2, timeoutMs: Math.min(90_000, left()) });
  row('half-open', 'halfOpenDetectRatio (worst of 5)', round(half.halfOpenDetectRatio), '<= 1.5', half.halfOpenDetectRatio <= 1.5 && !half.timedOut && half.rounds.length === 5);
  row('half-open', 'silence to detection ms (worst)', round(half.maxSilenceMs, 1), '~1.25 K = 2500 + timer latency');
  row('half-open', 'recover ms (worst)', round(half.maxRecoverMs, 1));
  row('half-open', 'acked / published', `${half.acked}/${half.published}`, 'all', half.acked === half.published);

  t('outage');
  const outage = runOutage({ outageMs: 3_600_000, maxCount: 200, maxBytes: 65536 });
  row('outage 1 h', 'peak pending / bound', `${outage.peakPending}/${outage.maxCount}`, 'within', outage.boundViolations === 0);
  row('outage 1 h', 'peak bytes / bound', `${outage.peakBytes}/${outage.maxBytes}`, 'within', outage.boundViolations === 0);
  row('outage 1 h', 'produced during outage', outage.producedDuringOutage);
  row('outage 1 h', 'delivered after recovery, in order', `${outage.deliveredAfterRecovery} ${outage.deliveredInOrder}`, '= kept, true', outage.deliveredAfterRecovery === outage.pendingAtRecovery && outage.deliveredInOrder);
  row('outage 1 h', 'lost within capacity', outage.lostWithinCapacity, '= 0', outage.lostWithinCapacity === 0);
  row('outage 1 h', 'dropped (counted) / reported in telemetry', `${outage.dropped}/${outage.droppedReportedInTelemetry}`, 'equal', outage.dropped === outage.droppedReportedInTelemetry && outage.dropped + outage.pendingAtRecovery === outage.producedDuringOutage);

  t('sas');
  const sas = await runSasRenewal({ hours: 24, sasLifetimeS: 3600, telemetryEveryMs: 1000, latencyMs: 400 });
  row('sas 24 h', 'renewals', sas.renewals, '~30', sas.renewals >= 29 && sas.renewals <= 30);
  row('sas 24 h', 'mean renewal interval min', round(sas.meanRenewalIntervalMin, 2), '~48');
  row('sas 24 h', 'renewals with telemetry in flight', sas.inFlightAtRenewal);
  row('sas 24 h', 'expired tokens at the broker', sas.expiredKicks, '= 0', sas.expiredKicks === 0);
  row('sas 24 h', 'lost / sent', `${sas.lost}/${sas.sent}`, '0', sas.lost === 0);
  row('sas 24 h', 'duplicates', sas.duplicates, '<= renewals in flight', sas.duplicates <= sas.inFlightAtRenewal);
  row('sas 24 h', 'max telemetry gap ms', sas.maxGapMs, `<= ${sas.telemetryEveryMs} + 4 x 400`, sas.maxGapMs <= sas.telemetryEveryMs + 1600);

  t('backoff');
  const backoff = runBackoffStudy({ clients: 2000, failures: 12 });
  const bad = runBadCredentials(3_600_000);
  row('backoff', 'samples / out of bounds', `${backoff.samples}/${backoff.outOfBounds}`, '0 out', backoff.outOfBounds === 0);
  row('backoff', 'KS max / critical (0.1%)', `${round(backoff.ksMax, 4)}/${round(backoff.ksCritical, 4)}`, 'below', backoff.ksMax < backoff.ksCritical);
  row('backoff', 'median growth per failure', backoff.growth.map((g) => round(g, 2)).join(' '), '-> 2');
  row('backoff', 'bad-credential attempts / hour (bound)', `${bad.attempts} (${bad.bound})`, '<= bound', bad.attempts <= bad.bound);
  row('backoff', 'shortest gap on bad credentials ms', bad.shortestGapMs, '>= 100000', bad.shortestGapMs >= 100_000);

  t('fuzz');
  const fuzz = await runFuzz(1_000_000, 20261122, Math.min(300_000, left()));
  row('fuzz', 'inputs (decoder + session)', fuzz.timedOut ? 'timeout' : `${fuzz.decoderInputs} + ${fuzz.sessionInputs}`, '>= 1,000,000', !fuzz.timedOut && fuzz.inputs >= 1_000_000);
  row('fuzz', 'MQTT 5.0 decoder inputs', fuzz.timedOut ? 'timeout' : fuzz.decoder5Inputs, '>= 1,000,000', !fuzz.timedOut && fuzz.decoder5Inputs >= 1_000_000);
  row('fuzz', 'escaped exceptions', fuzz.escaped ?? -1, '= 0', fuzz.escaped === 0);
  row('fuzz', 'slowest input ms', round(fuzz.slowestInputMs ?? -1, 1), '< 1000', (fuzz.slowestInputMs ?? Infinity) < 1000);
  row('fuzz', 'heap delta after GC bytes', fuzz.heapDelta ?? -1, '< 2 MiB', (fuzz.heapDelta ?? Infinity) < 2 * 1024 * 1024);

  t('storm');
  const storm = runStorm({ cycles: 10_000, seed: 1 });
  row('storm', 'cycles / readings / online', `${storm.samples}/${storm.readings}/${storm.online}`, '10000 cycles', storm.samples === 10_000);
  row('storm', 'invalid sampled as online', storm.invalidSamples, '= 0', storm.invalidSamples === 0);
  row('storm', 'invalid published', storm.invalidPublished, '= 0', storm.invalidPublished === 0);

  const totalMs = Date.now() - started;
  row('run', 'total ms', totalMs, `< ${BUDGET_MS}`, totalMs < BUDGET_MS);

  const result = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    totalMs,
    delivery,
    deliveryWindow10: wide,
    halfOpen: half,
    outage,
    sasRenewal: sas,
    backoff: { ...backoff, badCredentials: bad },
    fuzz,
    storm,
    goalsMet: rows.every((r) => r.ok),
    table: rows,
  };
  const out = path.resolve('bench/results/soak.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');

  const w = [16, 44, 28, 30];
  const line = (a: string, b: string, c: string, d: string, ok: string) => `${a.padEnd(w[0])} ${b.padEnd(w[1])} ${c.padEnd(w[2])} ${d.padEnd(w[3])} ${ok}`;
  console.log(line('scenario', 'figure', 'value', 'goal', 'ok'));
  console.log('-'.repeat(125));
  for (const r of rows) console.log(line(r.scenario, r.figure, String(r.value), r.goal, r.ok ? 'yes' : 'NO'));
  console.log(`\nwrote ${path.relative(process.cwd(), out)}; goals ${result.goalsMet ? 'met' : 'MISSED'}`);
  process.exit(result.goalsMet ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
