/** Fake sensor source and hub connection for device tests. */
import type {
  C2DMessage,
  HubConnection,
  HubHandlers,
  HubState,
  MessageProperties,
  MethodCall,
  SensorReading,
  SensorSource,
  TwinDocument,
} from '../../src/device/ports';
import type { SensorSetting } from '../../src/device/sensor-settings';

export class FakeSensors implements SensorSource {
  readings: SensorReading[] = [
    { id: '28aa000000000001', name: 'T1', value: 21, status: 'online' },
    { id: '28aa000000000002', name: 'T2', value: 22, status: 'online' },
  ];
  scans = 0;
  resolution = 0;
  reads = 0;
  /** Settings by upper-case id, applied like the registry does: name override, value + offset. */
  settings = new Map<string, SensorSetting>();
  private readonly defaultNames = new Map<string, string>();
  scan(): void {
    this.scans++;
  }
  setResolution(bits: number): void {
    this.resolution = bits;
  }
  read(onReadings: (readings: SensorReading[]) => void): void {
    this.reads++;
    onReadings(this.readings.map((r) => this.calibrated(r)));
  }
  configureSensor(id: string, setting: SensorSetting | undefined): SensorReading | undefined {
    if (setting === undefined) this.settings.delete(id.toUpperCase());
    else this.settings.set(id.toUpperCase(), { ...setting });
    const r = this.readings.find((x) => x.id.toUpperCase() === id.toUpperCase());
    return r && this.calibrated(r);
  }
  private calibrated(r: SensorReading): SensorReading {
    const s = this.settings.get(r.id.toUpperCase());
    if (!this.defaultNames.has(r.id)) this.defaultNames.set(r.id, r.name);
    const out = { ...r, name: s?.name ?? (this.defaultNames.get(r.id) as string) };
    if (out.value !== undefined) out.value += s?.offset ?? 0;
    return out;
  }
  /** Adds a sensor that appears on the bus later. */
  add(reading: SensorReading): void {
    this.readings.push(reading);
  }
  set(id: string, value: number | undefined, status: SensorReading['status'] = 'online'): void {
    const r = this.readings.find((x) => x.id === id);
    if (!r) throw new Error('no sensor ' + id);
    r.value = value;
    r.status = status;
  }
}

export interface Sent {
  body: string;
  properties: MessageProperties;
  done: (error?: Error) => void;
  acked: boolean;
}

export class FakeHub implements HubConnection {
  /** Like HubClientConnection: connect() delivers the full desired document through onDesired(doc, true). */
  readonly fullTwinOnConnect: boolean;
  getTwinCalls = 0;
  handlers: HubHandlers | undefined;
  sent: Sent[] = [];
  reported: Record<string, unknown>[] = [];
  twin: TwinDocument = { desired: { $version: 1 }, reported: {} };
  autoAck = true;
  started = 0;
  stopped = 0;
  state: HubState = { network: 'down', hub: 'disconnected' };

  constructor(options: { fullTwinOnConnect?: boolean } = {}) {
    this.fullTwinOnConnect = options.fullTwinOnConnect ?? false;
  }
  setHandlers(handlers: HubHandlers): void {
    this.handlers = handlers;
  }
  start(): void {
    this.started++;
  }
  stop(): void {
    this.stopped++;
  }
  sendTelemetry(body: string, properties: MessageProperties, onDone: (error?: Error) => void): void {
    if (this.state.hub !== 'connected') {
      onDone(new Error('not connected'));
      return;
    }
    const s: Sent = { body, properties, done: onDone, acked: false };
    this.sent.push(s);
    if (this.autoAck) {
      s.acked = true;
      onDone();
    }
  }
  getTwin(onDone: (error: string | undefined, twin?: TwinDocument) => void): void {
    this.getTwinCalls++;
    onDone(undefined, JSON.parse(JSON.stringify(this.twin)) as TwinDocument);
  }
  patchReported(patch: Record<string, unknown>, onDone: (error?: string) => void): void {
    this.reported.push(JSON.parse(JSON.stringify(patch)) as Record<string, unknown>);
    onDone();
  }

  setState(state: HubState): void {
    this.state = state;
    this.handlers?.onState(state);
  }
  connect(): void {
    this.setState({ network: 'up', hub: 'connected' });
    if (this.fullTwinOnConnect) this.handlers?.onDesired(JSON.parse(JSON.stringify(this.twin.desired)) as Record<string, unknown>, true);
  }
  /** Drops the connection: un-acked messages fail. */
  disconnect(): void {
    this.setState({ network: 'down', hub: 'disconnected' });
    for (const s of this.sent) if (!s.acked) {
      s.acked = true;
      s.done(new Error('connection lost'));
    }
  }
  ackAll(): void {
    for (const s of this.sent) if (!s.acked) {
      s.acked = true;
      s.done();
    }
  }
  c2d(text: string | Uint8Array, properties: MessageProperties = {}): void {
    const body = typeof text === 'string' ? new TextEncoder().encode(text) : text;
    const message: C2DMessage = { body, properties };
    this.handlers?.onC2D(message);
  }
  method(name: string, payload: string): { status: number; payload: unknown } {
    let reply: { status: number; payload: unknown } | undefined;
    const call: MethodCall = { name, payload, respond: (status, p) => void (reply = { status, payload: JSON.parse(p) }) };
    this.handlers?.onMethod(call);
    if (!reply) throw new Error('method not answered');
    return reply;
  }
  bodies(type?: string): Record<string, unknown>[] {
    return this.sent.map((s) => JSON.parse(s.body) as Record<string, unknown>).filter((b) => type === undefined || b.type === type);
  }
}
