/**
 * Ports: exactly what the device application needs from sensors, analytics and the hub.
 *
 * The application (src/device) is written against these small interfaces only. Adapters
 * (src/device/adapters/) bind them to the concrete modules (sensors/, analytics/, iothub/);
 * tests bind them to fakes. Everything else comes through the Host (src/platform.ts).
 */

import type { SensorSetting } from './sensor-settings';

export type SensorStatus = 'online' | 'missing' | 'faulty';

/** One sensor's result of one sampling round. */
export interface SensorReading {
  id: string;
  name: string;
  /** Degrees Celsius; undefined unless status is 'online'. */
  value: number | undefined;
  status: SensorStatus;
  /** Why the sensor is missing or faulty (CRC error, power-on value, ...). */
  error?: string;
  /** Resolution in bits as the sensor last read it back (absent when the source cannot tell). */
  resolution?: number;
  /** Configured settings this sensor does not take, by property, with why (e.g. resolution). */
  refused?: Record<string, string>;
}

/** The sensors on the bus. */
export interface SensorSource {
  /** Searches the bus for sensors (again). Known sensors that vanished become 'missing'. */
  scan(): void;
  /** Applies a resolution (9..12 bits) to every sensor; conversion time follows it. */
  setResolution(bits: number): void;
  /**
   * Converts and reads every known sensor, then calls `onReadings` once (synchronously or
   * later, after the conversion time on the host's timers).
   */
  read(onReadings: (readings: SensorReading[]) => void): void;
  /**
   * Sets (or, with undefined, clears) a sensor's friendly name and calibration offset, by ROM id
   * in any case. A sensor not found yet gets it when it appears. Returns the sensor's current
   * reading with the new name and offset applied, or undefined when it is not known yet.
   * Optional: a source without sensors need not implement it.
   */
  configureSensor?(id: string, setting: SensorSetting | undefined): SensorReading | undefined;
}

/** Windowed statistics of one sensor after a sample. */
export interface SensorStats {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /**
   * Robust score of the last sample: (value - reference level) / noise scale, the scale floored
   * at half the quantisation step (analytics/change-detector).
   */
  z: number;
  /** True while an anomaly alert lasts for the sensor. */
  anomaly: boolean;
  /** What the active (or, on 'end', the ended) alert saw; undefined without one. */
  alert?: AnomalyAlert;
}

/** What an anomaly alert saw: a one-sample spike, a level shift or a trend (analytics/change-detector). */
export type AnomalyKind = 'spike' | 'shift' | 'trend';

/** Why an anomaly alert ended. */
export type AnomalyEndReason = 'returned' | 'rebaselined' | 'missing' | 'faulty';

export interface AnomalyAlert {
  kind: AnomalyKind;
  /** +1 upwards, -1 downwards. */
  direction: number;
  /** The sensor's reference level before the alert, °C; after 'rebaselined', the accepted new level. */
  baseline: number;
  /** Set on 'end'. */
  reason?: AnomalyEndReason;
}

/**
 * A change of anomaly state, reported once per transition: 'start', 'update' (a spike that stays
 * becomes a shift: same alert, new kind) and 'end'.
 */
export type AnomalyTransition = 'start' | 'update' | 'end' | undefined;

/** Summary of one sensor over one aggregation period. */
export interface PeriodAggregate {
  count: number;
  mean: number;
  min: number;
  max: number;
  std: number;
  first: number;
  last: number;
}

/** Analytics of one sensor: window statistics, anomaly detection and a period aggregate. */
export interface SensorAnalytics {
  /** Adds a sample; returns the stats after it and whether an anomaly started or ended. */
  push(value: number, timeMs: number): { stats: SensorStats; transition: AnomalyTransition };
  /** Latest stats (count 0 before the first sample). */
  stats(): SensorStats;
  /**
   * The sensor's calibration moved by `delta` °C: the window and the period so far move with
   * it, so a calibration change is neither an anomaly nor a step in the statistics.
   */
  recalibrate(delta: number): void;
  /** Sets the spike limit of the anomaly detector, in noise-scale units. */
  setThreshold(z: number): void;
  /** The sensor's resolution changed (9..12 bits): the detector's quantisation floor follows. */
  setResolution(bits: number): void;
  /**
   * The sensor stopped giving values (missing or faulty): an active alert ends with that reason
   * (transition 'end', stats.alert.reason set; else undefined) and detection starts afresh with
   * the next value.
   */
  interrupt(reason: 'missing' | 'faulty'): { stats: SensorStats; transition: AnomalyTransition };
  /** Returns the aggregate of the period so far and starts a new one (undefined when empty). */
  takeAggregate(): PeriodAggregate | undefined;
}

export interface AnalyticsFactory {
  create(sensorId: string, threshold: number): SensorAnalytics;
}

/** Connection state as shown to the user. */
export interface HubState {
  /** 'up' when the transport is connected, else 'down'. */
  network: 'up' | 'down';
  hub: 'disconnected' | 'connecting' | 'connected' | 'error';
  /** Last connection error (never a secret). */
  error?: string;
}

export type MessageProperties = Record<string, string>;

export interface C2DMessage {
  body: Uint8Array;
  properties: MessageProperties;
  /** Set when the message was larger than the device takes: its MQTT packet size; body is empty. */
  oversize?: number;
}

export interface MethodCall {
  name: string;
  /** The request payload as JSON text ('' or 'null' when there is none). */
  payload: string;
  /** Answers the call; payload is JSON text. */
  respond(status: number, payload: string): void;
}

export interface TwinDocument {
  desired: Record<string, unknown>;
  reported: Record<string, unknown>;
}

export interface HubHandlers {
  onState(state: HubState): void;
  onC2D(message: C2DMessage): void;
  /**
   * Desired properties (including $version): a patch, or with `full` the complete desired
   * document (what it lacks returns to defaults).
   */
  onDesired(patch: Record<string, unknown>, full?: boolean): void;
  onMethod(call: MethodCall): void;
  /**
   * Something the hub sent could not be taken (too large, malformed): logged and reported as
   * lastError. Connection trouble goes to onState instead.
   */
  onError(source: string, message: string): void;
}

/** The IoT Hub device connection. Reconnecting is the adapter's job; the device only reacts. */
export interface HubConnection {
  /**
   * true: after each connect the connection itself reads the full twin and delivers its desired
   * document through onDesired(document, true), so the device does not read it again. Absent:
   * the device reads it with getTwin when the hub connects.
   */
  readonly fullTwinOnConnect?: boolean;
  setHandlers(handlers: HubHandlers): void;
  /** Starts connecting (and keeps reconnecting until stop). */
  start(): void;
  stop(): void;
  /**
   * Publishes telemetry at QoS 1. `onDone` is called once: without an error after the PUBACK,
   * with an error when the message was not acknowledged (connection lost, refused); a refusal
   * comes after this call returns. `onDone` may be the same function for many sends (the pump
   * keeps one per in-flight place), so nothing is allocated per message; a `properties` object
   * passed again is recognised by identity (its topic is built once).
   */
  sendTelemetry(body: string, properties: MessageProperties, onDone: (error?: Error) => void): void;
  getTwin(onDone: (error: string | undefined, twin?: TwinDocument) => void): void;
  patchReported(patch: Record<string, unknown>, onDone: (error?: string) => void): void;
}
