/**
 * The live configuration and its validation.
 *
 * Desired values (twin, C2D, methods) pass through `apply`: each property is checked on its
 * own; a valid one is applied, an invalid one (wrong type, out of range, unknown) is refused
 * with a reason and the old value kept. Twin metadata ($version, $metadata) is ignored.
 */

export interface DeviceConfig {
  /** How often all sensors are read. */
  samplingIntervalMs: number;
  /** How often telemetry is sent. */
  telemetryIntervalMs: number;
  /** Length of an aggregation period. */
  aggregatePeriodMs: number;
  /** Spike limit of the anomaly detector, in noise-scale units (analytics/change-detector). */
  anomalyThreshold: number;
  /** DS18B20 resolution in bits. */
  resolution: number;
  /** A text shown on the display until a C2D message replaces it. */
  displayMessage: string;
}

export const DEFAULT_CONFIG: Readonly<DeviceConfig> = Object.freeze({
  samplingIntervalMs: 1000,
  telemetryIntervalMs: 5000,
  aggregatePeriodMs: 60000,
  anomalyThreshold: 8,
  resolution: 12,
  displayMessage: '',
});

export interface Refusal {
  property: string;
  reason: string;
}

export interface ApplyResult {
  applied: string[];
  refused: Refusal[];
}

interface Rule {
  kind: 'integer' | 'number' | 'string';
  min?: number;
  max?: number;
}

/** Property rules. Integers are whole milliseconds or bits. Frozen, entries too, to stay in flash. */
const RULES: Readonly<Record<keyof DeviceConfig, Readonly<Rule>>> = Object.freeze({
  samplingIntervalMs: Object.freeze<Rule>({ kind: 'integer', min: 100, max: 3600000 }),
  telemetryIntervalMs: Object.freeze<Rule>({ kind: 'integer', min: 1000, max: 86400000 }),
  aggregatePeriodMs: Object.freeze<Rule>({ kind: 'integer', min: 10000, max: 86400000 }),
  anomalyThreshold: Object.freeze<Rule>({ kind: 'number', min: 0.5, max: 20 }),
  resolution: Object.freeze<Rule>({ kind: 'integer', min: 9, max: 12 }),
  displayMessage: Object.freeze<Rule>({ kind: 'string', max: 256 }),
});

/** Checks one value; returns the reason it is invalid, or undefined. */
export function validate(property: string, value: unknown): string | undefined {
  if (!Object.prototype.hasOwnProperty.call(RULES, property)) return 'unknown property';
  const rule = RULES[property as keyof DeviceConfig];
  if (rule.kind === 'string') {
    if (typeof value !== 'string') return `expected a string, got ${describe(value)}`;
    if (rule.max !== undefined && value.length > rule.max) return `longer than ${rule.max} characters`;
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return `expected a number, got ${describe(value)}`;
  if (rule.kind === 'integer' && !Number.isInteger(value)) return `expected an integer, got ${value}`;
  if (rule.min !== undefined && value < rule.min) return `${value} is below the minimum ${rule.min}`;
  if (rule.max !== undefined && value > rule.max) return `${value} is above the maximum ${rule.max}`;
  return undefined;
}

/** Names a refused value's type for an error message (values themselves are short numbers). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  return typeof value;
}

export class LiveConfig {
  private readonly values: DeviceConfig;

  constructor(initial?: Partial<DeviceConfig>) {
    this.values = { ...DEFAULT_CONFIG };
    if (initial) this.apply(initial);
  }

  get current(): Readonly<DeviceConfig> {
    return this.values;
  }

  /** Applies every valid property of `patch`, refuses the others (old values kept). */
  apply(patch: Record<string, unknown>): ApplyResult {
    const result: ApplyResult = { applied: [], refused: [] };
    for (const key of Object.keys(patch)) {
      if (key.charAt(0) === '$') continue;
      const value = patch[key];
      const reason = validate(key, value);
      if (reason !== undefined) {
        result.refused.push({ property: key, reason });
        continue;
      }
      const k = key as keyof DeviceConfig;
      if (this.values[k] !== value) {
        (this.values as unknown as Record<string, unknown>)[k] = value;
        result.applied.push(key);
      }
    }
    return result;
  }

  /** The reported view: a plain copy of every value. */
  reported(): DeviceConfig {
    return { ...this.values };
  }

  /** Serialized for Storage. */
  serialize(): string {
    return JSON.stringify(this.values);
  }

  /** Restores a serialized configuration; invalid or corrupt content is ignored. */
  restore(text: string | undefined): void {
    if (text === undefined) return;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) this.apply(parsed as Record<string, unknown>);
    } catch {
      // a corrupt stored configuration falls back to the current values
    }
  }
}
