/**
 * A round's message split into parts that each fit one NVS value and one IoT Hub billing unit.
 *
 * With 24 sensors and names a telemetry body is about 9 KB. As one message it was neither
 * storable (the outbox's stored form is one NVS string value, at most 3,999 B: ESP-IDF NVS) nor
 * held in RAM without exhausting the ESP32's heap during an outage (issue 11), and the default
 * 8 KB outbox refused it outright. IoT Hub counts messages in 4 KB units, so parts of at most
 * PART_BYTES cost the same units as the whole. Each part is a complete message with its own
 * `seq` and the same `ts` and `uptimeMs`, and `part`/`parts` (1-based) when there are several
 * (TELEMETRY.md, "Parts").
 */
import { utf8Length } from '../text/utf8';

/**
 * Most bytes of one part's body as the outbox stores it: inside a JSON string, so every `"` and
 * `\` counts twice (a sensor's telemetry entry has about 24 quotes in 300 B). With the stored
 * form's envelope and properties (about 120 B) that stays under NVS's 3,999 B per value, and the
 * body as sent is no longer than that: within one 4 KB billing unit.
 */
export const PART_BYTES = 3584;

/**
 * Stored bytes reserved in each part for what is not an item: the header (deviceId up to 128 B,
 * seq, ts, uptimeMs), part/parts, the outbox counts and the JSON punctuation.
 */
export const PART_OVERHEAD_BYTES = 512;

/** UTF-8 bytes of `item` inside a JSON string (escaped as the outbox stores it), plus its comma. */
function storedBytes(item: string): number {
  return Math.max(0, utf8Length(JSON.stringify(item))) - 1;
}

/**
 * Splits `items` (JSON texts, in order) into runs whose stored bytes (storedBytes) stay within
 * `budget`; an item larger than the budget is a run of its own (its message may then be too
 * large to store, which the outbox reports). Returns [[]] for no items, so a round always makes
 * at least one message. O(total length).
 */
export function partition(items: string[], budget: number): string[][] {
  const runs: string[][] = [];
  let run: string[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = storedBytes(item);
    if (run.length > 0 && bytes + size > budget) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(item);
    bytes += size;
  }
  runs.push(run);
  return runs;
}

/** The items' stored bytes (storedBytes), summed. */
export function itemsBytes(items: readonly string[]): number {
  let bytes = 0;
  for (const item of items) bytes += storedBytes(item);
  return bytes;
}
