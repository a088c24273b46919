/**
 * The state every part of the running device shares: the host, the live configuration, whether
 * the device is stopped, the hub's connection state and the last error for the reported twin.
 * One instance per device; the collaborators (sampling, telemetry pump, config sync, display,
 * commands) each hold it instead of closing over a function's locals.
 */
import type { Clock, Display, Log, Storage, Timers } from '../platform';
import { LiveConfig, type DeviceConfig } from './config';
import type { HubState } from './ports';
import type { LastError } from './twin';

export interface DeviceHost {
  clock: Clock;
  timers: Timers;
  storage: Storage;
  display: Display;
  log: Log;
  restart(): void;
}

/** Storage key of the serialized configuration (LiveConfig.serialize). */
export const CONFIG_KEY = 'cfg';

export class DeviceContext {
  readonly host: DeviceHost;
  readonly deviceId: string;
  readonly firmware: string;
  readonly config: LiveConfig;
  /** Monotonic ms at start, for uptime. */
  readonly bootMs: number;
  stopped = false;
  hubState: HubState = { network: 'down', hub: 'disconnected' };
  lastError: LastError | undefined;

  /** `config`: the initial configuration; a stored one from an earlier run overrides it. */
  constructor(host: DeviceHost, deviceId: string, firmware: string, config: Partial<DeviceConfig> | undefined) {
    this.host = host;
    this.deviceId = deviceId;
    this.firmware = firmware;
    this.bootMs = host.clock.now();
    this.config = new LiveConfig(config);
    this.config.restore(host.storage.get(CONFIG_KEY));
  }

  /** Milliseconds since start. */
  uptime(): number {
    return this.host.clock.now() - this.bootMs;
  }

  get connected(): boolean {
    return this.hubState.hub === 'connected';
  }

  /** Records an error for the reported twin's lastError and logs it as a warning. */
  error(source: string, message: string): void {
    this.lastError = { source, message, at: this.host.clock.epochMs() ?? null };
    this.host.log.write('warn', source, message);
  }
}
