/**
 * Helpers for the Moddable lane files that run the emulator in-process (wss.lane.ts,
 * sensors.lane.ts): polling with a deadline, the device's telemetry decoded as strict UTF-8 JSON,
 * and a loopback TCP relay that counts the connections it carried (which port the firmware used).
 */
import * as net from 'node:net';
import type { Hub } from '../../simulator/hub/hub';
import type { RunningFirmware } from './rig';

export interface TelemetrySensor {
  id: string;
  name: string;
  value: number | null;
  status: string;
}

export interface TelemetryBody {
  type: string;
  seq: number;
  deviceId: string;
  uptimeMs: number;
  /** Present when the round was sent in parts (src/device/TELEMETRY.md, "Parts"). */
  part?: number;
  parts?: number;
  sensors: TelemetrySensor[];
}

/** One sampling round's telemetry: its parts merged (sensors in order), with each part's UTF-8 size. */
export interface TelemetryRound extends TelemetryBody {
  partBytes: number[];
}

/** Resolves with the first defined, non-false value of `probe`, polled every 250 ms; throws with the firmware's last lines after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, firmware: RunningFirmware | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last firmware lines:\n${firmware?.lines.slice(-15).join('\n')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The device's telemetry messages (type 'telemetry'), newest last, each body decoded as strict UTF-8 and parsed. */
export function telemetryOf(hub: Hub, deviceId: string, limit = 500): TelemetryBody[] {
  return hub
    .telemetry(deviceId, limit)
    .map((e) => JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(e.bodyBase64, 'base64'))) as TelemetryBody)
    .filter((b) => b.type === 'telemetry');
}

/**
 * The device's telemetry rounds, newest last: a round sent in parts (same uptimeMs, consecutive
 * seq, `parts` of them) merged into one, complete rounds only. `seq` is the first part's.
 */
export function telemetryRoundsOf(hub: Hub, deviceId: string, limit = 500): TelemetryRound[] {
  const rounds: TelemetryRound[] = [];
  let open: TelemetryRound | undefined;
  for (const e of hub.telemetry(deviceId, limit)) {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(e.bodyBase64, 'base64'));
    const b = JSON.parse(text) as TelemetryBody;
    if (b.type !== 'telemetry') continue;
    const bytes = Buffer.byteLength(text);
    if (b.parts === undefined) {
      rounds.push({ ...b, partBytes: [bytes] });
      open = undefined;
    } else if (b.part === 1) open = { ...b, sensors: [...b.sensors], partBytes: [bytes] };
    else if (open !== undefined && b.uptimeMs === open.uptimeMs && b.part === open.partBytes.length + 1) {
      open.sensors.push(...b.sensors);
      open.partBytes.push(bytes);
    } else open = undefined;
    if (open !== undefined && open.partBytes.length === open.parts) {
      rounds.push(open);
      open = undefined;
    }
  }
  return rounds;
}

/** The device's reported properties. */
export function reportedOf(hub: Hub, deviceId: string): Record<string, unknown> {
  return (hub.twin(deviceId) as { properties: { reported: Record<string, unknown> } }).properties.reported;
}

/** A TCP relay on loopback to `targetPort`: counts the connections and bytes it carried. */
export interface Relay {
  port: number;
  connections: number;
  bytesIn: number;
  bytesOut: number;
  close(): Promise<void>;
}

export function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const relay: Relay = { port: 0, connections: 0, bytesIn: 0, bytesOut: 0, close: () => Promise.resolve() };
  const server = net.createServer((client) => {
    relay.connections++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d) => (relay.bytesIn += d.length));
    upstream.on('data', (d) => (relay.bytesOut += d.length));
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      relay.port = (server.address() as net.AddressInfo).port;
      relay.close = () =>
        new Promise((done) => {
          for (const s of sockets) s.destroy();
          server.close(() => done());
        });
      resolve(relay);
    });
  });
}
