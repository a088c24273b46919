/**
 * The Host for Node.js: the same src/ code runs on it as on the device.
 */
import { createHmac, randomFillSync, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Clock, Crypto, Host, Log, Network, OneWireBus, Random, Timers } from '../../src/platform';
import { ModelDisplay } from './display';
import { ConsoleLog } from './log';
import { NodeNetwork } from './network';
import { FileStorage } from './storage';

export const nodeClock: Clock = {
  now: () => performance.now(),
  epochMs: () => Date.now(),
};

export const nodeTimers: Timers = {
  set: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)),
  clear: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
};

export const nodeCrypto: Crypto = {
  hmacSha256: (key, data) => new Uint8Array(createHmac('sha256', key).update(data).digest()),
  // The OS CSPRNG (getrandom(2) on Linux): WebSocket masking keys come from it.
  randomBytes: (out) => void randomFillSync(out),
};

export const nodeRandom: Random = {
  // randomInt allows a range of at most 2^48 - 1.
  next: () => randomInt(0, 2 ** 47) / 2 ** 47,
};

export interface NodeHostOptions {
  /** Directory for Storage files. */
  dataDir: string;
  /** The simulated 1-Wire bus (the desktop has none of its own). */
  oneWire?: OneWireBus;
  /** Called by restart(). Default: log only. */
  onRestart?: () => void;
  log?: Log;
  network?: Network;
}

export interface NodeHost extends Host {
  display: ModelDisplay;
  storage: FileStorage;
}

export function createNodeHost(options: NodeHostOptions): NodeHost {
  const log = options.log ?? new ConsoleLog();
  return {
    clock: nodeClock,
    timers: nodeTimers,
    network: options.network ?? new NodeNetwork(),
    oneWire: options.oneWire,
    crypto: nodeCrypto,
    storage: new FileStorage(options.dataDir),
    display: new ModelDisplay(),
    log,
    random: nodeRandom,
    restart: () => {
      log.write('warn', 'host', 'restart');
      options.onRestart?.();
    },
  };
}
