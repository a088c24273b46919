// Direct method invocations in flight: each waits for the device's response or its timeout.
import type { Json } from './twin-store';

export interface MethodResult {
  status: number;
  payload: Json;
}

export class MethodError extends Error {
  constructor(public readonly status: number, public readonly errorCode: number, message: string) {
    super(message);
  }
}

interface Pending {
  deviceId: string;
  resolve: (r: MethodResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class MethodCalls {
  private readonly pending = new Map<string, Pending>();
  private next = 1;

  /** Registers a call; `send(rid)` publishes the request. Resolves with the device's answer. */
  invoke(deviceId: string, timeoutMs: number, send: (rid: string) => void): Promise<MethodResult> {
    const rid = (this.next++).toString(16);
    return new Promise<MethodResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new MethodError(504, 504101, `GatewayTimeout: device ${deviceId} did not respond within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(rid, { deviceId, resolve, reject, timer });
      send(rid);
    });
  }

  /** The device answered on $iothub/methods/res/{status}/?$rid={rid}. False if nothing waits for it. */
  respond(deviceId: string, rid: string, status: number, body: Buffer): boolean {
    const p = this.pending.get(rid);
    if (!p || p.deviceId !== deviceId) return false;
    this.pending.delete(rid);
    clearTimeout(p.timer);
    p.resolve({ status, payload: parseBody(body) });
    return true;
  }

  /** The device went away (or was deleted): its calls fail as IoT Hub fails them. */
  abandon(deviceId: string): void {
    for (const [rid, p] of this.pending) {
      if (p.deviceId !== deviceId) continue;
      this.pending.delete(rid);
      clearTimeout(p.timer);
      p.reject(new MethodError(404, 404103, `DeviceNotOnline: device ${deviceId} disconnected before responding`));
    }
  }

  close(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }
}

function parseBody(body: Buffer): Json {
  if (body.length === 0) return null;
  const text = body.toString('utf8');
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}
