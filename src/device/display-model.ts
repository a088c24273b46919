/**
 * Builds the DisplayModel (src/platform.ts) from the device's state. The host renders it.
 */
import type { DisplayModel, DisplaySensor } from '../platform';
import { sanitizeText } from './display-text';
import type { HubState, SensorReading, SensorStats } from './ports';

/** Longest message shown, in code points. */
export const MAX_MESSAGE_CHARS = 160;

export class DisplayModelBuilder {
  private readonly deviceId: string;
  private sensors: DisplaySensor[] = [];
  private hub: HubState = { network: 'down', hub: 'disconnected' };
  private outbox = 0;
  private message: DisplayModel['message'] = undefined;
  private identifying = false;

  constructor(deviceId: string) {
    this.deviceId = deviceId;
  }

  /**
   * Updates the sensor lines; a sensor keeps its last good temperature while it is not online.
   * `alarm`: a sensor's active limit alarm, if any.
   */
  setSensors(readings: SensorReading[], stats: (id: string) => SensorStats | undefined, alarm?: (id: string) => 'high' | 'low' | undefined): void {
    const previous = this.sensors;
    this.sensors = readings.map((r) => {
      let celsius = r.status === 'online' ? r.value : undefined;
      if (celsius === undefined) {
        for (const p of previous) if (p.id === r.id) celsius = p.celsius;
      }
      const s = stats(r.id);
      const line: DisplaySensor = { id: r.id, name: r.name, celsius, status: r.status, anomaly: s ? s.anomaly : false };
      if (s && s.anomaly && s.alert) line.anomalyKind = s.alert.kind;
      const side = alarm ? alarm(r.id) : undefined;
      if (side !== undefined) line.alarm = side;
      return line;
    });
  }

  setHub(state: HubState): void {
    this.hub = state;
  }

  setOutbox(pending: number): void {
    this.outbox = pending;
  }

  /** Shows a message; the text is sanitized again here so no caller can bypass it. */
  setMessage(text: string, sender: string | undefined, receivedAt: number | undefined): void {
    const clean = sanitizeText(text, MAX_MESSAGE_CHARS);
    const message: NonNullable<DisplayModel['message']> = { text: clean };
    if (sender !== undefined) {
      const s = sanitizeText(sender, 32);
      if (s !== '') message.sender = s;
    }
    if (receivedAt !== undefined) message.receivedAt = receivedAt;
    this.message = message;
  }

  clearMessage(): void {
    this.message = undefined;
  }

  get hasMessage(): boolean {
    return this.message !== undefined;
  }

  setIdentify(on: boolean): void {
    this.identifying = on;
  }

  build(): DisplayModel {
    let anomaly = false;
    let alarm = false;
    for (const s of this.sensors) {
      if (s.anomaly) anomaly = true;
      if (s.alarm !== undefined) alarm = true;
    }
    return {
      deviceId: this.deviceId,
      sensors: this.sensors.map((s) => ({ ...s })),
      status: { network: this.hub.network, hub: this.hub.hub, outbox: this.outbox },
      message: this.message ? { ...this.message } : undefined,
      anomaly,
      alarm,
      identify: this.identifying,
    };
  }
}
