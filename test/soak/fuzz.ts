/**
 * Runs the fuzz worker (./fuzz-worker.ts) in a child Node process with --expose-gc, bounded by
 * a timeout (a hang kills the child and fails the run).
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FuzzResult {
  inputs: number;
  decoderInputs: number;
  sessionInputs: number;
  /** MQTT 5.0 inputs through a 5.0 decoder. */
  decoder5Inputs: number;
  escaped: number;
  firstEscape: string;
  slowestInputMs: number;
  decoderErrors: number;
  decoderPackets: number;
  sessionCloses: number;
  sessionMessages: number;
  heapBefore: number;
  heapAfter: number;
  heapDelta: number;
  durationMs: number;
  timedOut: boolean;
}

const here = path.dirname(fileURLToPath(import.meta.url));

export function runFuzz(countEach: number, seed: number, timeoutMs: number): Promise<FuzzResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, 'fuzz-worker.ts'), String(countEach), String(seed)], {
      cwd: path.resolve(here, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) {
        resolve({ timedOut: true } as FuzzResult);
        return;
      }
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve({ ...(JSON.parse(line) as FuzzResult), timedOut: false });
      } catch {
        reject(new Error(`fuzz worker exited ${code}: ${err.slice(-2000)}`));
      }
    });
  });
}
