/**
 * Device twin: desired properties change the live configuration; reported properties say what
 * the device is and what it applied.
 *
 * Reported document:
 *   firmware        version string
 *   config          the configuration in effect (every property)
 *   sensors         { <id>: { name, status, offset, resolution } } — every sensor found, and
 *                   every sensor configured in desired `sensors` but not found yet (status
 *                   'missing'); resolution: bits as the sensor reads it back (null: unknown)
 *   refused         { <path>: reason | null } — desired values refused (old value kept); a path
 *                   is a property or `sensors/<ROM id>`; null clears an earlier refusal once a
 *                   valid value is applied or the desired document no longer holds it. A sensor
 *                   that does not take a configured setting adds `<property>/<ROM id>` (e.g.
 *                   `resolution/28FF...`: the configuration register ignores writes), cleared
 *                   with null once it takes it, the setting changes or the sensor is gone
 *   alarms          { <ROM id>: { high, low, hysteresis, holdMs } } — limit alarm settings in
 *                   effect (null for one removed); refusals at `alarms/<ROM id>`
 *   desiredVersion  $version of the last desired document or patch processed
 *   lastError       { source, message, at } or null
 *   uptimeMs
 * IoT Hub merges reported patches, so a key is only removed by sending it as null.
 */
import type { ApplyResult, Refusal } from './config';
import type { DeviceControl } from './control';
import type { HubConnection, SensorStatus } from './ports';

export interface LastError {
  source: string;
  message: string;
  at: number | null;
}

export interface ReportedSensor {
  id: string;
  /** null: configured before it was found and without a name. */
  name: string | null;
  status: SensorStatus;
  offset: number;
  /** Bits as read back from the sensor; null when unknown. */
  resolution: number | null;
  /** Configured settings the sensor does not take, by property, with why. */
  refused?: Record<string, string>;
}

export interface ReportedState {
  firmware: string;
  config: Record<string, unknown>;
  sensors: ReportedSensor[];
  /** Limit alarm settings by ROM id (LimitAlarms.reported), when the device has them. */
  alarms?: Record<string, unknown>;
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
  /** Sensor ids in the twin's reported `sensors`, so one that goes away is removed with null. */
  private reportedSensors: string[] = [];
  /** Sensor refusals (`<property>/<ROM id>`) as last reported, so one that ends is cleared with null. */
  private sensorRefusals: Record<string, string> = {};

  constructor(hub: HubConnection, control: DeviceControl, state: () => ReportedState) {
    this.hub = hub;
    this.control = control;
    this.state = state;
  }

  /**
   * After (re)connecting: fetch the full twin, apply its desired part, report everything. A
   * connection that delivers the full twin itself (fullTwinOnConnect) is not asked again: the
   * document arrives once, through onDesired(document, true).
   */
  synchronize(): void {
    if (this.hub.fullTwinOnConnect === true) return;
    this.hub.getTwin((error, twin) => {
      if (error !== undefined || twin === undefined) {
        this.control.error('twin', `get twin failed: ${error ?? 'no document'}`);
        this.report();
        return;
      }
      this.applyDesired(twin.desired, true);
      this.report();
    });
  }

  /** A desired patch (or with `full` the complete desired document) arrived. */
  onDesired(patch: Record<string, unknown>, full = false): ApplyResult {
    const result = this.applyDesired(patch, full);
    this.report();
    return result;
  }

  /** `full`: the complete desired document (after connecting) rather than a patch. */
  private applyDesired(desired: Record<string, unknown>, full = false): ApplyResult {
    const v = desired.$version;
    if (typeof v === 'number') this.desiredVersion = v;
    const result = this.control.configure(desired, 'twin', full);
    const refused: string[] = result.refused.map((r) => r.property);
    for (const key of result.applied) this.clearRefusal(key);
    // A valid value equal to the current one applies nothing but still clears a refusal, as
    // does a value the desired document no longer holds (deleted, or null: back to default).
    for (const path of Object.keys(this.refusedNow)) {
      if (refused.indexOf(path) >= 0) continue;
      const slash = path.indexOf('/');
      const top = slash < 0 ? path : path.slice(0, slash);
      const value = desired[top];
      let clear: boolean;
      if (!Object.prototype.hasOwnProperty.call(desired, top)) clear = full;
      else if (slash < 0 || value === null) clear = true;
      else clear = full || (typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, path.slice(slash + 1)));
      if (clear) this.clearRefusal(path);
    }
    // Logged once per refusal: the same document again (every reconnect, a session takeover)
    // keeps what is already refused and reported without a new warning.
    const fresh = result.refused.filter((r: Refusal) => this.refusedNow[r.property] !== r.reason);
    for (const r of result.refused) this.refusedNow[r.property] = r.reason;
    if (fresh.length > 0) {
      this.control.error('twin', fresh.map((r: Refusal) => `${r.property}: ${r.reason}`).join('; '));
    }
    return result;
  }

  private clearRefusal(key: string): void {
    if (Object.prototype.hasOwnProperty.call(this.refusedNow, key)) {
      delete this.refusedNow[key];
      this.pendingClear.push(key);
    }
  }

  /**
   * Records the sensors' refusals (`<property>/<ROM id>`); a new one (or a new reason) is an
   * error, once. Returns the ones recorded before, which the report clears unless still there.
   */
  private noteSensorRefusals(list: ReportedSensor[]): Record<string, string> {
    const before = this.sensorRefusals;
    const now: Record<string, string> = {};
    const fresh: string[] = [];
    for (const r of list) {
      if (r.refused === undefined) continue;
      for (const property of Object.keys(r.refused)) {
        const path = `${property}/${r.id}`;
        now[path] = r.refused[property];
        if (before[path] !== now[path]) fresh.push(`${path}: ${now[path]}`);
      }
    }
    this.sensorRefusals = now;
    if (fresh.length > 0) this.control.error('sensors', fresh.join('; '));
    return before;
  }

  /** The full reported patch; `clearSensorRefusals`: paths reported before, null unless still refused. */
  reportedPatch(clearSensorRefusals: Record<string, string> = this.sensorRefusals): Record<string, unknown> {
    const s = this.state();
    const sensors: Record<string, unknown> = {};
    for (const id of this.reportedSensors) sensors[id] = null;
    for (const r of s.sensors) sensors[r.id] = { name: r.name, status: r.status, offset: r.offset, resolution: r.resolution };
    const refused: Record<string, string | null> = {};
    for (const key of this.pendingClear) refused[key] = null;
    for (const key of Object.keys(this.refusedNow)) refused[key] = this.refusedNow[key];
    for (const key of Object.keys(clearSensorRefusals)) refused[key] = null;
    for (const r of s.sensors) {
      if (r.refused === undefined) continue;
      for (const property of Object.keys(r.refused)) refused[`${property}/${r.id}`] = r.refused[property];
    }
    const patch: Record<string, unknown> = {
      firmware: s.firmware,
      config: s.config,
      sensors,
      refused,
      desiredVersion: this.desiredVersion === undefined ? null : this.desiredVersion,
      lastError: s.lastError === undefined ? null : { ...s.lastError },
      uptimeMs: Math.round(s.uptimeMs),
    };
    if (s.alarms !== undefined) patch.alarms = s.alarms;
    return patch;
  }

  report(): void {
    // First, so a new refusal is in this report's lastError.
    const previousRefusals = this.noteSensorRefusals(this.state().sensors);
    const patch = this.reportedPatch(previousRefusals);
    const cleared = this.pendingClear;
    this.pendingClear = [];
    const previousSensors = this.reportedSensors;
    const sensors = patch.sensors as Record<string, unknown>;
    this.reportedSensors = Object.keys(sensors).filter((id) => sensors[id] !== null);
    this.hub.patchReported(patch, (error) => {
      if (error !== undefined) {
        // Try clearing again with the next report.
        for (const key of cleared) if (this.pendingClear.indexOf(key) < 0) this.pendingClear.push(key);
        for (const id of previousSensors) if (this.reportedSensors.indexOf(id) < 0) this.reportedSensors.push(id);
        this.control.error('twin', `reported patch failed: ${error}`);
      }
    });
  }
}
