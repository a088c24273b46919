/**
 * The device's display: builds the DisplayModel from the sensors, the hub state, the outbox and
 * the message, hands it to the host, and runs the identify flash.
 */
import type { DisplayModel, TimerId } from '../platform';
import type { DeviceContext } from './context';
import { DisplayModelBuilder } from './display-model';
import type { SensorReading, SensorStats } from './ports';

export class Screen {
  private readonly ctx: DeviceContext;
  private readonly builder: DisplayModelBuilder;
  /** Messages waiting in the outbox, shown in the status line. */
  private readonly pending: () => number;
  private lastModel: DisplayModel;
  private identifyTimer: TimerId | undefined;

  constructor(ctx: DeviceContext, pending: () => number) {
    this.ctx = ctx;
    this.pending = pending;
    this.builder = new DisplayModelBuilder(ctx.deviceId);
    this.lastModel = this.builder.build();
  }

  /** The display model as last rendered. */
  get model(): DisplayModel {
    return this.lastModel;
  }

  render(): void {
    this.builder.setHub(this.ctx.hubState);
    this.builder.setOutbox(this.pending());
    this.lastModel = this.builder.build();
    this.ctx.host.display.render(this.lastModel);
  }

  /** Where a sensor's active limit alarm is looked up (LimitAlarms.active). */
  alarmOf: ((id: string) => 'high' | 'low' | undefined) | undefined = undefined;

  /** Updates the sensor lines (shown at the next render). */
  setSensors(readings: SensorReading[], stats: (id: string) => SensorStats | undefined): void {
    this.builder.setSensors(readings, stats, this.alarmOf);
  }

  /** Shows the configured displayMessage, or clears the message when it is ''. */
  showConfiguredMessage(): void {
    const text = this.ctx.config.current.displayMessage;
    if (text !== '') this.builder.setMessage(text, 'config', this.ctx.host.clock.epochMs());
    else this.builder.clearMessage();
  }

  showMessage(text: string, sender: string | undefined): void {
    this.builder.setMessage(text, sender, this.ctx.host.clock.epochMs());
    this.render();
  }

  clearMessage(): void {
    this.builder.clearMessage();
    this.render();
  }

  /** Flashes the display for `durationMs` (0 ends a flash). */
  identify(durationMs: number): void {
    const timers = this.ctx.host.timers;
    if (this.identifyTimer !== undefined) timers.clear(this.identifyTimer);
    this.identifyTimer = undefined;
    this.builder.setIdentify(durationMs > 0);
    if (durationMs > 0) {
      this.identifyTimer = timers.set(() => {
        this.identifyTimer = undefined;
        this.builder.setIdentify(false);
        if (!this.ctx.stopped) this.render();
      }, durationMs);
    }
    this.render();
  }

  stop(): void {
    if (this.identifyTimer !== undefined) this.ctx.host.timers.clear(this.identifyTimer);
  }
}
