/** Node-side helper: runs commands in XS through test/xs/xsrun.mjs, in its own process. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Json } from '../harness';

const here = path.dirname(fileURLToPath(import.meta.url));
export const projectRoot = path.resolve(here, '../..');

export interface XsCommandResult {
  reply: { ok: true; value: Json } | { ok: false; error: string };
  /** Computrons spent by this command (deterministic). */
  compute: number;
  /** Live XS slots after the command. */
  currentHeapCount: number;
  /** xs-device only: chunk heap bytes in use after the command (after a gc command: live chunk bytes). */
  chunkBytes?: number;
}

/**
 * Which XS build runs: `xsnap` (@agoric/xsnap: CESU-8 strings, 4096-slot stack, growing heap) or
 * `device` (scripts/build-xs-device.mjs: UTF-8 strings as on Moddable's devices, the firmware's
 * 896-slot stack, a fixed heap).
 */
export type XsEngine = 'xsnap' | 'device';

/**
 * Runs `entry` (a .ts file calling serve(), or '--suites') in XS and sends `commands`.
 * Throws with XS's own output when the engine cannot start or the entry fails to load.
 */
export function runInXs(entry: string, commands: { op: string; arg?: Json }[], engine: XsEngine = 'xsnap'): XsCommandResult[] {
  const out = spawnSync(process.execPath, [path.join(here, 'xsrun.mjs'), entry, '-'], {
    cwd: projectRoot,
    env: { ...process.env, XS_ENGINE: engine },
    input: JSON.stringify(commands),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 30 * 60_000,
  });
  if (out.status !== 0) {
    throw new Error(`XS lane failed (exit ${out.status}, signal ${out.signal}):\n${out.stderr}\n${out.stdout}`);
  }
  const lastLine = out.stdout.trim().split('\n').pop() ?? '';
  return (JSON.parse(lastLine) as { results: XsCommandResult[] }).results;
}
