/**
 * DS18B20 read-cycle benchmark.
 *
 * readTimeRatio: simulated bus time of one full read cycle of N sensors (N = 1, 4, 10, 20) at
 * 9 and 12 bits, divided by the physical limit 2.08 + tCONV + 11.6·N ms. The bus clock is
 * advanced by every primitive (reset 0.96 ms, slot 0.07 ms) and by the driver's requested
 * waits, so the figure is exact and deterministic. Goal: <= 1.05 everywhere.
 *
 * xsComputronsPerCycle4: XS computrons for one full read cycle of 4 sensors (12 bits) on the
 * simulated bus, driver + simulated hardware, averaged over k cycles minus a noop; with the
 * hardware-only share measured by replaying the same recorded bus traffic without the driver.
 *
 * searchTimeRatio: simulated bus time of a periodic ROM search (every sensor already known, as
 * the device's search every 30 s mostly is) of N sensors divided by AN187's lower bound of one
 * pass per device, N x (0.96 + 200 x 0.07) ms. The device runs it between two reads only when it
 * fits (src/device/sampling.ts, SEARCH_MS_PER_DEVICE = 15). Goal: <= 1.05.
 *
 * Run: npm run bench:sensors   (writes bench/results/sensors.json; exit 1 if a ratio > 1.05)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot, runInXs } from '../test/xs/lane';
import { readTimeRatio, searchTimeRatio } from './xs/sensors-cycle';

export const COUNTS = [1, 4, 10, 20] as const;
export const RESOLUTIONS = [9, 12] as const;
export const RATIO_MAX = 1.05;
const ENTRY = path.join(projectRoot, 'bench/xs/sensors-entry.ts');

export function measureRatios(): { ratios: Record<string, Record<string, number>>; busMs: Record<string, Record<string, number>> } {
  const ratios: Record<string, Record<string, number>> = {};
  const busMs: Record<string, Record<string, number>> = {};
  for (const r of RESOLUTIONS) {
    ratios[r] = {};
    busMs[r] = {};
    for (const n of COUNTS) {
      const m = readTimeRatio(n, r);
      ratios[r][n] = m.ratio;
      busMs[r][n] = m.busMs;
    }
  }
  return { ratios, busMs };
}

export function measureXs(cycles = 20): { perCycle: number; hardwarePerCycle: number; driverPerCycle: number; busOps: number } {
  const results = runInXs(ENTRY, [
    { op: 'setup', arg: 4 },
    { op: 'noop', arg: cycles },
    { op: 'cycle', arg: cycles },
    { op: 'noop', arg: cycles },
    { op: 'replay', arg: cycles },
  ]);
  const failed = results.find((r) => !r.reply.ok);
  if (failed && !failed.reply.ok) throw new Error(`bench command failed in XS: ${failed.reply.error}`);
  const [setup, noop1, cycle, noop2, rep] = results;
  if (!cycle.reply.ok || cycle.reply.value !== 4) throw new Error('XS cycle did not read 4 sensors');
  const perCycle = (cycle.compute - noop1.compute) / cycles;
  const hardwarePerCycle = (rep.compute - noop2.compute) / cycles;
  return { perCycle, hardwarePerCycle, driverPerCycle: perCycle - hardwarePerCycle, busOps: setup.reply.ok ? Number(setup.reply.value) : 0 };
}

function main(): void {
  const { ratios, busMs } = measureRatios();
  const xs = measureXs();
  const rows = RESOLUTIONS.flatMap((r) =>
    COUNTS.map((n) => ({ bits: r, sensors: n, 'bus ms': Number(busMs[r][n].toFixed(2)), 'limit ms': Number((busMs[r][n] / ratios[r][n]).toFixed(2)), ratio: Number(ratios[r][n].toFixed(5)) })),
  );
  console.table(rows);
  console.log(
    `XS computrons per 4-sensor cycle: ${Math.round(xs.perCycle)} (simulated hardware ${Math.round(xs.hardwarePerCycle)}, driver ${Math.round(xs.driverPerCycle)}; ${xs.busOps} bus operations)`,
  );
  const search: Record<string, number> = {};
  const searchBusMs: Record<string, number> = {};
  for (const n of COUNTS) {
    const m = searchTimeRatio(n);
    search[n] = m.ratio;
    searchBusMs[n] = m.busMs;
  }
  console.table(COUNTS.map((n) => ({ sensors: n, 'search bus ms': Number(searchBusMs[n].toFixed(2)), ratio: Number(search[n].toFixed(5)) })));
  const worst = Math.max(...RESOLUTIONS.flatMap((r) => COUNTS.map((n) => ratios[r][n])), ...COUNTS.map((n) => search[n]));
  const ok = worst <= RATIO_MAX;
  const result = {
    readTimeRatio: ratios,
    busMs,
    searchTimeRatio: search,
    searchBusMs,
    xsComputronsPerCycle4: Math.round(xs.perCycle),
    xsComputronsPerCycle4Hardware: Math.round(xs.hardwarePerCycle),
    xsComputronsPerCycle4Driver: Math.round(xs.driverPerCycle),
    goals: { readTimeRatioMax: RATIO_MAX },
    ok,
  };
  const out = path.join(projectRoot, 'bench/results/sensors.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`worst ratio ${worst.toFixed(5)} (goal <= ${RATIO_MAX}); wrote ${path.relative(projectRoot, out)}`);
  if (!ok) {
    console.error('sensors bench: read time ratio goal missed');
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
