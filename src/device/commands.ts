/**
 * The device's side of C2D commands, direct methods and the twin (the DeviceControl that
 * c2d.ts, methods.ts and twin.ts dispatch to): configure, identify, messages, getStats, reboot,
 * and recording errors.
 */
import { jsonWithArray } from './json-text';
import type { TimerId } from '../platform';
import { utf8Length } from '../text/utf8';
import type { ApplyResult } from './config';
import type { ConfigSync } from './config-sync';
import type { DeviceContext } from './context';
import type { DeviceControl } from './control';
import type { Screen } from './screen';
import type { SensorSettings } from './sensor-settings';
import type { SensorTable } from './sensor-table';
import type { TelemetryPump } from './telemetry-pump';

export class DeviceCommands implements DeviceControl {
  private readonly ctx: DeviceContext;
  private readonly sync: ConfigSync;
  private readonly screen: Screen;
  private readonly table: SensorTable;
  private readonly settings: SensorSettings;
  private readonly pump: TelemetryPump;
  /** The side of a sensor's active limit alarm (LimitAlarms.active). */
  private readonly alarmOf: (id: string) => 'high' | 'low' | undefined;
  /** Stops the device before a restart. */
  private readonly stopDevice: () => void;
  private rebootTimer: TimerId | undefined;

  constructor(ctx: DeviceContext, parts: { sync: ConfigSync; screen: Screen; table: SensorTable; settings: SensorSettings; pump: TelemetryPump; alarmOf: (id: string) => 'high' | 'low' | undefined; stop: () => void }) {
    this.ctx = ctx;
    this.sync = parts.sync;
    this.screen = parts.screen;
    this.table = parts.table;
    this.settings = parts.settings;
    this.pump = parts.pump;
    this.alarmOf = parts.alarmOf;
    this.stopDevice = parts.stop;
  }

  configure(patch: Record<string, unknown>, source: string, replace?: boolean): ApplyResult {
    return this.sync.configure(patch, source, replace);
  }

  identify(durationMs: number): void {
    this.screen.identify(durationMs);
  }

  showMessage(text: string, sender: string | undefined): void {
    this.screen.showMessage(text, sender);
    // The size only: the text is the sender's and may be private.
    this.ctx.host.log.write('info', 'c2d', `message shown (${utf8Length(text)} bytes of text)`);
  }

  clearMessage(): void {
    this.screen.clearMessage();
  }

  /** The getStats payload: identity, uptime, each sensor's stats and alert/alarm state (SensorTable.statsList), the outbox, the configuration. */
  stats(): Record<string, unknown> {
    return { ...this.statsHead(), sensors: this.table.statsList(this.settings, this.alarmOf), ...this.statsTail() };
  }

  /** stats() as JSON text, the sensors serialised one at a time (json-text.ts): what getStats sends. */
  statsJson(): string {
    return jsonWithArray(this.statsHead(), 'sensors', this.table.statsItems(this.settings, this.alarmOf), this.statsTail());
  }

  private statsHead(): Record<string, unknown> {
    const ctx = this.ctx;
    return { deviceId: ctx.deviceId, firmware: ctx.firmware, uptimeMs: Math.round(ctx.uptime()) };
  }

  private statsTail(): Record<string, unknown> {
    const counts = this.pump.outbox.counts;
    const ctx = this.ctx;
    return {
      outbox: { pending: counts.pending, bytes: counts.bytes, overflow: counts.overflow, expired: counts.expired },
      config: ctx.config.reported() as unknown as Record<string, unknown>,
      hub: ctx.hubState.hub,
    };
  }

  reboot(delayMs: number): void {
    const { log, timers } = this.ctx.host;
    log.write('warn', 'device', `reboot requested, restarting in ${delayMs} ms`);
    if (this.rebootTimer !== undefined) return;
    this.rebootTimer = timers.set(() => {
      this.rebootTimer = undefined;
      this.stopDevice();
      this.ctx.host.restart();
    }, delayMs);
  }

  error(source: string, message: string): void {
    this.ctx.error(source, message);
  }

  /** Cancels a pending reboot. */
  stop(): void {
    if (this.rebootTimer !== undefined) this.ctx.host.timers.clear(this.rebootTimer);
  }
}
