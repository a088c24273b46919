/**
 * `npm run bench:budget`: what one device-day costs, at the firmware's defaults
 * (hosts/moddable/config.ts) and the desktop simulator's (simulator/main.ts), with 3 and 8
 * sensors, online all day and with a 1-hour hub outage (10:00-11:00). Each scenario runs the
 * device application with the real IoT Hub and MQTT clients against a simulated hub in simulated
 * time (bench/budget/day.ts), after a 2-minute warm-up (connected, twin read).
 *
 * Per scenario, per day:
 *   hubMessages       device-to-cloud messages the hub received (duplicates included)
 *   hubBillingUnits   IoT Hub's 4 KB metering units: ceil((body + properties) / 4096) each
 *   mqttBytesUp/Down  bytes on the MQTT connection each way (CONNECT, SUBSCRIBE, twin, PUBLISH,
 *                     PUBACK, PINGREQ/PINGRESP, ...; TLS records not included)
 *   storageWrites     Storage.set calls (Preference on the device); storageDeletes likewise
 *   nvsBytesWritten, nvsLifeYears: the day's storage operations through the NVS model
 *                     (bench/budget/nvs-model.ts: ESP-IDF's pages, entries, spans and garbage
 *                     collection) for the 24 KB partition at 100,000 erase cycles; nvsFits false
 *                     when the live data would not fit the partition at all
 *   xsComputronsPerDay the same day run inside XS (xsnap; bench/xs/budget-entry.ts; desktop:
 *                     the first 2 hours scaled to 24, outage scenarios not run, see xsWindowMs): the sum
 *                     of every command's computrons minus a noop's, in commands of 10 s
 *                     (firmware: one sampling interval) or 30 s (desktop) of simulated time;
 *                     promise reactions run between commands, so an acknowledgement's reaction
 *                     can come later than in Node (xsHubMessages cross-checks the run).
 *                     Includes sampling, analytics, JSON, outbox, the hub and MQTT clients, and
 *                     the simulated hub's and SAS HMAC's plain-TS work (an upper bound: on the
 *                     device the hub is remote and HMAC native)
 *   slotsAllocatedPerTelemetry  XS slots allocated in one telemetry interval (its samples, the
 *                     message, the publish and its PUBACK): live slots after minus before, gc
 *                     before; the largest of 5 (a collection XS starts during the interval can
 *                     only lower the figure)
 *
 * Summary: nvsLifeYearsMin (worst firmware-default scenario), hubMessagesPerDayFirmware
 * (firmware defaults, 3 sensors, online). Goals: nvsLifeYearsMin >= 10, hubMessagesPerDayFirmware
 * <= 1440. Exits 1 if one is missed. Writes bench/results/budget.json.
 * Run: npm run bench:budget [-- --no-xs]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot, runInXs } from '../test/xs/lane';
import { DAY_MS, DeviceDay, WARMUP_MS, type DayCounts, type Scenario } from './budget/day';
import { nvsFigures, type NvsFigures } from './budget/nvs-model';

const GOAL_LIFE_YEARS = 10;
const GOAL_MESSAGES = 1440;
const OUTAGE_MS = 3_600_000;

const SCENARIOS: Scenario[] = [];
for (const profile of ['firmware', 'desktop'] as const) {
  for (const sensors of [3, 8]) for (const outageMs of [0, OUTAGE_MS]) SCENARIOS.push({ profile, sensors, outageMs });
}

function nameOf(s: Scenario): string {
  return `${s.profile} ${s.sensors} sensors ${s.outageMs > 0 ? '1 h outage' : 'online'}`;
}

/** Node: one event at a time, a macrotask turn after each (promise reactions in between). */
async function runNode(s: Scenario): Promise<{ counts: DayCounts; nvs: NvsFigures | undefined; nvsError?: string }> {
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const day = new DeviceDay(s);
  while (day.next(WARMUP_MS)) await turn();
  day.resetCounts();
  while (day.next(DAY_MS)) await turn();
  const counts = day.counts();
  try {
    return { counts, nvs: nvsFigures(day.storageOps()) };
  } catch (error) {
    return { counts, nvs: undefined, nvsError: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Simulated time run in XS: the whole day at the firmware's defaults; at the desktop simulator's
 * (12x the samples, 12x the messages: ~10 min of XS per day on a shared machine) the first two
 * hours, scaled to the day, and not the outage scenarios.
 */
function xsWindowMs(s: Scenario): number | undefined {
  if (s.profile === 'firmware') return DAY_MS;
  return s.outageMs > 0 ? undefined : 2 * 3_600_000;
}

/** XS: the same day, one command per step of simulated time. */
function runXs(s: Scenario, windowMs: number): { xsComputronsPerDay: number; slotsAllocatedPerTelemetry: number; xsCounts: DayCounts } {
  const entry = path.join(projectRoot, 'bench/xs/budget-entry.ts');
  const step = s.profile === 'firmware' ? 10_000 : 30_000;
  const commands: { op: string; arg?: unknown }[] = [{ op: 'create', arg: s }, { op: 'until', arg: WARMUP_MS }];
  for (let t = 0; t < WARMUP_MS; t += step) commands.push({ op: 'batch', arg: step });
  commands.push({ op: 'reset' }, { op: 'until', arg: windowMs }, { op: 'noop' });
  const first = commands.length;
  const steps = Math.ceil(windowMs / step);
  for (let i = 0; i < steps; i++) commands.push({ op: 'batch', arg: step });
  const countsAt = commands.length;
  commands.push({ op: 'counts' }, { op: 'until', arg: DAY_MS * 3 });
  const slotsAt = commands.length;
  for (let i = 0; i < 5; i++) commands.push({ op: 'gc' }, { op: 'noop' }, { op: 'intervals', arg: 1 });
  const r = runInXs(entry, commands as { op: string; arg?: never }[]);
  const failed = r.find((x) => !x.reply.ok);
  if (failed && !failed.reply.ok) throw new Error(`XS budget run failed: ${failed.reply.error}`);
  const noop = r[first - 1].compute;
  let compute = 0;
  for (let i = first; i < first + steps; i++) compute += r[i].compute - noop;
  const slots: number[] = [];
  for (let i = 0; i < 5; i++) slots.push(r[slotsAt + 3 * i + 2].currentHeapCount - r[slotsAt + 3 * i + 1].currentHeapCount);
  const xsCounts = (r[countsAt].reply.ok ? r[countsAt].reply.value : {}) as unknown as DayCounts;
  return { xsComputronsPerDay: Math.round((compute * DAY_MS) / windowMs), slotsAllocatedPerTelemetry: Math.max(...slots), xsCounts };
}

async function main(): Promise<void> {
  const withXs = !process.argv.includes('--no-xs');
  const scenarios = [];
  for (const s of SCENARIOS) {
    process.stderr.write(`[budget] ${nameOf(s)}\n`);
    const node = await runNode(s);
    const windowMs = withXs ? xsWindowMs(s) : undefined;
    const xs = windowMs !== undefined ? runXs(s, windowMs) : undefined;
    const c = node.counts;
    scenarios.push({
      scenario: nameOf(s),
      ...s,
      hubMessages: c.hubMessages,
      messageTypes: c.messageTypes,
      hubBillingUnits: c.hubBillingUnits,
      mqttBytesUp: c.mqttBytesUp,
      mqttBytesDown: c.mqttBytesDown,
      connects: c.connects,
      storageWrites: c.storageWrites,
      storageDeletes: c.storageDeletes,
      storageBytesWritten: c.storageBytesWritten,
      nvsFits: node.nvs !== undefined,
      nvsEntriesWritten: node.nvs ? node.nvs.entriesWrittenPerDay : null,
      nvsBytesWritten: node.nvs ? Math.round(node.nvs.nvsBytesWritten) : null,
      nvsPageErasesPerDay: node.nvs ? Math.round(node.nvs.pageErasesPerDay * 100) / 100 : null,
      nvsLifeYears: node.nvs ? Math.round(node.nvs.nvsLifeYears * 10) / 10 : null,
      nvsError: node.nvsError,
      outboxOverflow: c.overflow,
      xsComputronsPerDay: xs ? xs.xsComputronsPerDay : null,
      slotsAllocatedPerTelemetry: xs ? xs.slotsAllocatedPerTelemetry : null,
      xsSimulatedHours: windowMs !== undefined ? windowMs / 3_600_000 : null,
      xsHubMessages: xs ? xs.xsCounts.hubMessages : null,
    });
  }
  const firmware = scenarios.filter((s) => s.profile === 'firmware');
  const lives = firmware.map((s) => (s.nvsLifeYears === null ? 0 : s.nvsLifeYears));
  const nvsLifeYearsMin = Math.min(...lives);
  const hubMessagesPerDayFirmware = firmware.find((s) => s.sensors === 3 && s.outageMs === 0)?.hubMessages ?? -1;
  const result = {
    nvsLifeYearsMin,
    hubMessagesPerDayFirmware,
    goals: { nvsLifeYearsMin: GOAL_LIFE_YEARS, hubMessagesPerDayFirmware: GOAL_MESSAGES },
    ok: nvsLifeYearsMin >= GOAL_LIFE_YEARS && hubMessagesPerDayFirmware >= 0 && hubMessagesPerDayFirmware <= GOAL_MESSAGES,
    model: {
      nvs: 'bench/budget/nvs-model.ts: 24 KB partition (6 pages of 126 32-byte entries), strings span 1 + ceil((bytes+1)/32) entries, greedy page reclaim with one reserve page, 100,000 erase cycles; every set modelled as a write',
      billing: 'IoT Hub: one unit per started 4 KB of body + application/system properties',
      day: 'bench/budget/day.ts; outage 10:00-11:00; warm-up 2 min not counted',
    },
    scenarios,
  };
  const file = path.join(projectRoot, 'bench/results/budget.json');
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.table(
    Object.fromEntries(
      scenarios.map((s) => [
        s.scenario,
        {
          hubMessages: s.hubMessages,
          billingUnits: s.hubBillingUnits,
          'mqtt up': s.mqttBytesUp,
          'mqtt down': s.mqttBytesDown,
          storageWrites: s.storageWrites,
          nvsBytesWritten: s.nvsBytesWritten,
          nvsLifeYears: s.nvsLifeYears,
          xsComputronsPerDay: s.xsComputronsPerDay,
          slotsPerTelemetry: s.slotsAllocatedPerTelemetry,
        },
      ]),
    ),
  );
  console.table({
    nvsLifeYearsMin: { value: nvsLifeYearsMin, goal: `>= ${GOAL_LIFE_YEARS}` },
    hubMessagesPerDayFirmware: { value: hubMessagesPerDayFirmware, goal: `<= ${GOAL_MESSAGES}` },
  });
  console.log(`wrote ${path.relative(projectRoot, file)}`);
  if (!result.ok) {
    console.error('budget: goal missed');
    process.exitCode = 1;
  }
}

void main();
