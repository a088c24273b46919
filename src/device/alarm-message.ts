/**
 * Limit alarm messages: `type: "alert"` with properties `alert=alarm` and `alarm=high|low`,
 * sent when a sensor's limit alarm starts and when it ends (TELEMETRY.md).
 */
import type { LimitEndReason, LimitSide } from '../analytics/limit-alarm';
import type { AlarmSetting } from './alarm-settings';
import type { SensorReading } from './ports';
import { header, num, properties, type Envelope, type Message } from './telemetry';

export interface AlarmChange {
  side: LimitSide;
  state: 'start' | 'end';
  /** Set on 'end'. */
  reason?: LimitEndReason;
  setting: Readonly<AlarmSetting>;
}

export function alarmMessage(env: Envelope, reading: SensorReading, change: AlarmChange): Message {
  const body = header('alert', env);
  const s = change.setting;
  body.alert = 'alarm';
  body.alarm = change.side;
  body.state = change.state;
  body.reason = change.reason ?? null;
  body.sensor = { id: reading.id, name: reading.name, value: num(reading.value) };
  body.limit = num(change.side === 'high' ? s.high : s.low);
  body.hysteresis = s.hysteresis;
  body.holdMs = s.holdMs;
  return { body: JSON.stringify(body), properties: properties('alert', { alert: 'alarm', alarm: change.side }) };
}
