/**
 * A deterministic Host for tests: a simulated clock and timer queue advanced by hand,
 * in-memory storage, captured display and log, seeded randomness.
 */
import type { Clock, Connection, DisplayModel, Host, LogLevel, Storage, TimerId, Timers } from '../../src/platform';

interface PendingTimer {
  id: number;
  at: number;
  order: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  ms = 0;
  /** Epoch at ms = 0; undefined simulates a host without real time. */
  epochBase: number | undefined = 1_700_000_000_000;
  now(): number {
    return this.ms;
  }
  epochMs(): number | undefined {
    return this.epochBase === undefined ? undefined : this.epochBase + this.ms;
  }
}

export class FakeTimers implements Timers {
  private pending: PendingTimer[] = [];
  private nextId = 1;
  private order = 0;
  constructor(private readonly clock: FakeClock) {}

  set(callback: () => void, delayMs: number): TimerId {
    const id = this.nextId++;
    this.pending.push({ id, at: this.clock.ms + Math.max(0, delayMs), order: this.order++, callback });
    return id;
  }

  clear(id: TimerId): void {
    this.pending = this.pending.filter((t) => t.id !== id);
  }

  get count(): number {
    return this.pending.length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in time order. */
  advance(ms: number): void {
    const end = this.clock.ms + ms;
    for (;;) {
      let next: PendingTimer | undefined;
      for (const t of this.pending) {
        if (t.at <= end && (next === undefined || t.at < next.at || (t.at === next.at && t.order < next.order))) next = t;
      }
      if (next === undefined) break;
      this.pending = this.pending.filter((t) => t !== next);
      this.clock.ms = Math.max(this.clock.ms, next.at);
      next.callback();
    }
    // A callback may spend time itself (a bus operation charged to the clock): never go back.
    this.clock.ms = Math.max(this.clock.ms, end);
  }
}

export class MemoryStorage implements Storage {
  readonly map = new Map<string, string>();
  writes = 0;
  get(key: string): string | undefined {
    return this.map.get(key);
  }
  set(key: string, value: string): void {
    if (typeof value !== 'string') throw new TypeError('storage values are strings');
    this.writes++;
    this.map.set(key, value);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  keys(prefix = ''): string[] {
    return [...this.map.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

export interface LogLine {
  level: LogLevel;
  source: string;
  message: string;
}

export class FakeHost implements Host {
  readonly clock = new FakeClock();
  readonly timers = new FakeTimers(this.clock);
  readonly storage = new MemoryStorage();
  readonly rendered: DisplayModel[] = [];
  readonly logs: LogLine[] = [];
  restarts = 0;
  private seed = 42;

  readonly display = { render: (model: DisplayModel) => void this.rendered.push(model) };
  readonly log = { write: (level: LogLevel, source: string, message: string) => void this.logs.push({ level, source, message }) };
  readonly random = {
    next: (): number => {
      // mulberry32
      let t = (this.seed = (this.seed + 0x6d2b79f5) | 0);
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
  readonly network = {
    connect(): Connection {
      throw new Error('FakeHost has no network');
    },
  };
  readonly crypto = {
    hmacSha256(): Uint8Array {
      throw new Error('FakeHost has no crypto');
    },
  };

  restart(): void {
    this.restarts++;
  }

  advance(ms: number): void {
    this.timers.advance(ms);
  }

  get lastDisplay(): DisplayModel | undefined {
    return this.rendered[this.rendered.length - 1];
  }
}
