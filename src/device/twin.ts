/**
 * Device twin: desired properties change the live configuration; reported properties say what
 * the device is and what it applied.
 *
 * Reported document:
 *   firmware        version string
 *   config          the configuration in effect (every property)
 *   sensors         { <id>: { name, status } }
 *   refused         { <property>: reason | null } — desired values refused (old value kept);
 *                   null clears an earlier refusal once a valid value is applied
 *   desiredVersion  $version of the last desired document or patch processed
 *   lastError       { source, message, at } or null
 *   uptimeMs
 * IoT Hub merges reported patches, so a key is only removed by sending it as null.
 */
import type { ApplyResult, Refusal } from './config';
import type { DeviceControl } from './control';
import type { HubConnection, SensorReading } from './ports';

export interface LastError {
  source: string;
  message: string;
  at: number | null;
}

export interface ReportedState {
  firmware: string;
  config: Record<string, unknown>;
  sensors: SensorReading[];
  lastError: LastError | undefined;
  uptimeMs: number;
}

export class TwinSync {
  private readonly hub: HubConnection;
  private readonly control: DeviceControl;
  private readonly state: () => ReportedState;
  /** Properties currently refused, so a later valid value can clear them. */
  private readonly refusedNow: Record<string, string> = {};
  private desiredVersion: number | undefined;
  private pendingClear: string[] = [];

  constructor(hub: HubConnection, control: DeviceControl, state: () => ReportedState) {
    this.hub = hub;
    this.control = control;
    this.state = state;
  }

  /** After (re)connecting: fetch the full twin, apply its desired part, report everything. */
  synchronize(): void {
    this.hub.getTwin((error, twin) => {
      if (error !== undefined || twin === undefined) {
        this.control.error('twin', `get twin failed: ${error ?? 'no document'}`);
        this.report();
        return;
      }
      this.applyDesired(twin.desired);
      this.report();
    });
  }

  /** A desired patch arrived. */
  onDesired(patch: Record<string, unknown>): ApplyResult {
    const result = this.applyDesired(patch);
    this.report();
    return result;
  }

  private applyDesired(desired: Record<string, unknown>): ApplyResult {
    const v = desired.$version;
    if (typeof v === 'number') this.desiredVersion = v;
    const result = this.control.configure(desired, 'twin');
    for (const key of result.applied) this.clearRefusal(key);
    // A valid value equal to the current one applies nothing but still clears a refusal.
    for (const key of Object.keys(desired)) {
      if (key.charAt(0) === '$') continue;
      let refused = false;
      for (const r of result.refused) if (r.property === key) refused = true;
      if (!refused) this.clearRefusal(key);
    }
    for (const r of result.refused) this.refusedNow[r.property] = r.reason;
    if (result.refused.length > 0) {
      this.control.error('twin', result.refused.map((r: Refusal) => `${r.property}: ${r.reason}`).join('; '));
    }
    return result;
  }

  private clearRefusal(key: string): void {
    if (Object.prototype.hasOwnProperty.call(this.refusedNow, key)) {
      delete this.refusedNow[key];
      this.pendingClear.push(key);
    }
  }

  /** The full reported patch. */
  reportedPatch(): Record<string, unknown> {
    const s = this.state();
    const sensors: Record<string, unknown> = {};
    for (const r of s.sensors) sensors[r.id] = { name: r.name, status: r.status };
    const refused: Record<string, string | null> = {};
    for (const key of this.pendingClear) refused[key] = null;
    for (const key of Object.keys(this.refusedNow)) refused[key] = this.refusedNow[key];
    return {
      firmware: s.firmware,
      config: s.config,
      sensors,
      refused,
      desiredVersion: this.desiredVersion === undefined ? null : this.desiredVersion,
      lastError: s.lastError === undefined ? null : { ...s.lastError },
      uptimeMs: Math.round(s.uptimeMs),
    };
  }

  report(): void {
    const patch = this.reportedPatch();
    const cleared = this.pendingClear;
    this.pendingClear = [];
    this.hub.patchReported(patch, (error) => {
      if (error !== undefined) {
        // Try clearing again with the next report.
        for (const key of cleared) if (this.pendingClear.indexOf(key) < 0) this.pendingClear.push(key);
        this.control.error('twin', `reported patch failed: ${error}`);
      }
    });
  }
}
