/**
 * The dashboard's HTTP server (node:http): static files from ./public, a small JSON API and
 * server-sent events for live updates. Binds to 127.0.0.1 only.
 *
 * API (all JSON):
 *   GET   /api/devices                          [{id, sensors:[{id,name}]}]
 *   GET   /api/devices/{id}/display             the DisplayModel
 *   GET   /api/devices/{id}/history             recent samples (for the charts)
 *   POST  /api/devices/{id}/c2d                 {text, properties?}
 *   GET   /api/devices/{id}/twin                {desired, reported}
 *   PATCH /api/devices/{id}/twin                {desired: {...}}
 *   POST  /api/devices/{id}/methods/{name}      body: the method payload -> {status, payload}
 *   POST  /api/devices/{id}/faults              {sensorId, fault: disconnect|reconnect|spike|crc|clear}
 *   POST  /api/devices/{id}/network             {up: boolean}
 *   GET   /api/events                           SSE: `display`, `sample`, `network` events
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DisplayModel } from '../../src/platform';

/** One sampling round, flattened for the browser. */
export interface ChartSample {
  t: number;
  sensors: { id: string; name: string; value: number | null; mean: number | null; std: number | null; anomaly: boolean; status: string }[];
}

export type FaultKind = 'disconnect' | 'reconnect' | 'spike' | 'crc' | 'clear';
export const FAULT_KINDS: readonly FaultKind[] = ['disconnect', 'reconnect', 'spike', 'crc', 'clear'];

export interface DashboardDevice {
  id: string;
  display(): DisplayModel | undefined;
  history(): ChartSample[];
  networkUp(): boolean;
  sensors(): { id: string; name: string }[];
}

/** What the dashboard can do; the simulator binds it to the hub emulator and the hardware. */
export interface DashboardBackend {
  devices(): DashboardDevice[];
  sendC2D(deviceId: string, text: string, properties: Record<string, string>): Promise<void>;
  getTwin(deviceId: string): Promise<unknown>;
  patchDesired(deviceId: string, desired: Record<string, unknown>): Promise<unknown>;
  invokeMethod(deviceId: string, name: string, payload: unknown): Promise<{ status: number; payload: unknown }>;
  injectFault(deviceId: string, sensorId: string, fault: FaultKind): Promise<void>;
  setNetwork(deviceId: string, up: boolean): Promise<void>;
  /** Subscribes to live events; returns the unsubscribe function. */
  subscribe(listener: (event: string, data: unknown) => void): () => void;
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const MAX_BODY = 128 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error();
    return v as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'body must be a JSON object');
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body === undefined ? null : body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

function serveStatic(res: http.ServerResponse, pathname: string): void {
  const rel = pathname === '/' ? 'index.html' : pathname.slice(1);
  const file = path.normalize(path.join(PUBLIC_DIR, rel));
  if (!file.startsWith(PUBLIC_DIR + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    send(res, 404, { error: 'not found' });
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-store',
    // Nothing is fetched from anywhere else.
    'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:",
  });
  fs.createReadStream(file).pipe(res);
}

export function startDashboard(backend: DashboardBackend, options: { port?: number; host?: string } = {}): Promise<Dashboard> {
  const clients = new Set<http.ServerResponse>();
  const unsubscribe = backend.subscribe((event, data) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) c.write(frame);
  });

  function device(id: string): DashboardDevice {
    const d = backend.devices().find((x) => x.id === id);
    if (!d) throw new HttpError(404, `no device '${id}'`);
    return d;
  }

  async function api(req: http.IncomingMessage, res: http.ServerResponse, parts: string[]): Promise<void> {
    const method = req.method ?? 'GET';
    if (parts.length === 1 && parts[0] === 'events' && method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }
    if (parts[0] !== 'devices') throw new HttpError(404, 'not found');
    if (parts.length === 1 && method === 'GET') {
      send(res, 200, backend.devices().map((d) => ({ id: d.id, sensors: d.sensors(), networkUp: d.networkUp() })));
      return;
    }
    const d = device(decodeURIComponent(parts[1] ?? ''));
    const what = parts[2];
    if (what === 'display' && method === 'GET') return send(res, 200, d.display() ?? null);
    if (what === 'history' && method === 'GET') return send(res, 200, d.history());
    if (what === 'c2d' && method === 'POST') {
      const body = await readJson(req);
      if (typeof body.text !== 'string') throw new HttpError(400, 'text must be a string');
      const props: Record<string, string> = {};
      const given = body.properties;
      if (given !== undefined) {
        if (given === null || typeof given !== 'object') throw new HttpError(400, 'properties must be an object');
        for (const [k, v] of Object.entries(given as Record<string, unknown>)) if (typeof v === 'string') props[k] = v;
      }
      await backend.sendC2D(d.id, body.text, props);
      return send(res, 202, { queued: true });
    }
    if (what === 'twin' && method === 'GET') return send(res, 200, await backend.getTwin(d.id));
    if (what === 'twin' && method === 'PATCH') {
      const body = await readJson(req);
      const desired = body.desired;
      if (desired === null || typeof desired !== 'object' || Array.isArray(desired)) throw new HttpError(400, 'desired must be an object');
      return send(res, 200, await backend.patchDesired(d.id, desired as Record<string, unknown>));
    }
    if (what === 'methods' && parts[3] && method === 'POST') {
      const text = await readBody(req);
      let payload: unknown = null;
      if (text.trim() !== '') {
        try {
          payload = JSON.parse(text);
        } catch {
          throw new HttpError(400, 'payload must be JSON');
        }
      }
      return send(res, 200, await backend.invokeMethod(d.id, decodeURIComponent(parts[3]), payload));
    }
    if (what === 'faults' && method === 'POST') {
      const body = await readJson(req);
      const fault = body.fault as FaultKind;
      if (typeof body.sensorId !== 'string' || FAULT_KINDS.indexOf(fault) < 0) {
        throw new HttpError(400, `expected {sensorId, fault: ${FAULT_KINDS.join('|')}}`);
      }
      await backend.injectFault(d.id, body.sensorId, fault);
      return send(res, 200, { ok: true });
    }
    if (what === 'network' && method === 'POST') {
      const body = await readJson(req);
      if (typeof body.up !== 'boolean') throw new HttpError(400, 'up must be a boolean');
      await backend.setNetwork(d.id, body.up);
      return send(res, 200, { up: body.up });
    }
    throw new HttpError(404, 'not found');
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    if (parts[0] === 'api') {
      api(req, res, parts.slice(1)).catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 502;
        if (!res.headersSent) send(res, status, { error: error instanceof Error ? error.message : String(error) });
        else res.end();
      });
      return;
    }
    if (req.method !== 'GET') return send(res, 405, { error: 'method not allowed' });
    serveStatic(res, url.pathname);
  });

  // Keep SSE connections alive through proxies and idle timeouts.
  const ping = setInterval(() => {
    for (const c of clients) c.write(': ping\n\n');
  }, 15000);
  ping.unref();

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            clearInterval(ping);
            unsubscribe();
            for (const c of clients) c.end();
            clients.clear();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
