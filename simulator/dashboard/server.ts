/**
 * The dashboard's HTTP server (node:http): static files from ./public, a small JSON API and
 * server-sent events for live updates. Binds to 127.0.0.1 only.
 *
 * API (all JSON):
 *   GET   /api/devices                          [{id, sensors:[{id,name}]}]
 *   GET   /api/devices/{id}/display             the DisplayModel
 *   GET   /api/devices/{id}/history             recent samples (for the charts)
 *   POST  /api/devices/{id}/c2d                 {body, properties?, ...}: as the service API's C2D send; body a non-empty string
 *   GET   /api/devices/{id}/twin                {desired, reported}
 *   PATCH /api/devices/{id}/twin                {desired: {...}}
 *   POST  /api/devices/{id}/methods/{name}      body: the method payload -> {status, payload}
 *   POST  /api/devices/{id}/faults              {sensorId, fault: disconnect|reconnect|spike|crc|clear}
 *   POST  /api/devices/{id}/network             {up: boolean}
 *   GET   /api/events                           SSE: `display`, `sample`, `network` events
 *
 * Errors are `{status, errorCode?, message}` as in the service API: a client mistake the hub
 * refuses keeps the hub's status and error code (400 bad field, 404 unknown device or sensor,
 * 404103 device not online, 413 too large, ...); a body over 128 KB is a 413.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DisplayModel } from '../../src/platform';
import type { C2DInput } from '../hub/c2d-queue';
import { parseC2DRequest } from '../hub/c2d-request';
import { invalid, RequestError } from '../hub/request-fields';

/** One sampling round, flattened for the browser. */
export interface ChartSample {
  t: number;
  sensors: {
    id: string;
    name: string;
    value: number | null;
    mean: number | null;
    std: number | null;
    anomaly: boolean;
    /** spike, shift or trend while an anomaly alert lasts. */
    anomalyKind?: string | null;
    /** The sensor's active limit alarm, and its limits (°C), when it has any. */
    alarm?: 'high' | 'low' | null;
    high?: number | null;
    low?: number | null;
    status: string;
  }[];
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
  /** Queues a C2D message; rejects with the hub's error (status, errorCode) when it refuses. */
  sendC2D(deviceId: string, input: C2DInput): Promise<{ messageId: string }>;
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
/** Paths served from another file: browsers ask for /favicon.ico whatever the page links. */
const ALIASES: Record<string, string> = { '/': 'index.html', '/favicon.ico': 'favicon.svg' };
const MAX_BODY = 128 * 1024;
/** What follows /api/devices/{id}/ */
const ROUTES = ['display', 'history', 'c2d', 'twin', 'methods', 'faults', 'network'];

/**
 * The request body, at most MAX_BODY bytes. A larger one is refused with 413 once the limit is
 * passed, and the rest is read and dropped, so the client gets the answer instead of a reset.
 */
function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > MAX_BODY) return; // refused already: drop the rest
      size += chunk.length;
      if (size <= MAX_BODY) return void chunks.push(chunk);
      chunks.length = 0;
      reject(new RequestError(413, `request body over ${MAX_BODY / 1024} KB`));
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
    throw invalid('body must be a JSON object');
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body === undefined ? null : body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

/** The error body both APIs use: the status, the hub's error code where it has one, a message. */
function sendError(res: http.ServerResponse, error: unknown): void {
  const e = error as { status?: unknown; errorCode?: unknown; message?: unknown };
  const status = typeof e.status === 'number' && e.status >= 400 && e.status < 600 ? e.status : 500;
  if (status === 500) console.error('dashboard API:', error);
  if (res.headersSent) return void res.end();
  send(res, status, { status, ...(typeof e.errorCode === 'number' ? { errorCode: e.errorCode } : {}), message: String(e.message ?? error) });
}

function serveStatic(res: http.ServerResponse, pathname: string): void {
  const rel = ALIASES[pathname] ?? pathname.slice(1);
  const file = path.normalize(path.join(PUBLIC_DIR, rel));
  if (!file.startsWith(PUBLIC_DIR + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    sendError(res, new RequestError(404, `no file ${pathname}`));
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

/** A percent-decoded path segment; a malformed one is the client's mistake (400). */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw invalid(`bad URL encoding: ${part}`);
  }
}

export function startDashboard(backend: DashboardBackend, options: { port?: number; host?: string } = {}): Promise<Dashboard> {
  const clients = new Set<http.ServerResponse>();
  const unsubscribe = backend.subscribe((event, data) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) c.write(frame);
  });

  function device(id: string): DashboardDevice {
    const d = backend.devices().find((x) => x.id === id);
    if (!d) throw new RequestError(404, `device ${id} not found`, 404001);
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
    if (parts[0] !== 'devices') throw new RequestError(404, `no route /api/${parts.join('/')}`);
    if (parts.length === 1 && method === 'GET') {
      send(res, 200, backend.devices().map((d) => ({ id: d.id, sensors: d.sensors(), networkUp: d.networkUp() })));
      return;
    }
    const d = device(decodePart(parts[1] ?? ''));
    const what = parts[2];
    if (what === 'display' && method === 'GET') return send(res, 200, d.display() ?? null);
    if (what === 'history' && method === 'GET') return send(res, 200, d.history());
    if (what === 'c2d' && method === 'POST') {
      const input = parseC2DRequest(await readJson(req), { requireText: true });
      return send(res, 202, await backend.sendC2D(d.id, input));
    }
    if (what === 'twin' && method === 'GET') return send(res, 200, await backend.getTwin(d.id));
    if (what === 'twin' && method === 'PATCH') {
      const body = await readJson(req);
      const desired = body.desired;
      if (desired === null || typeof desired !== 'object' || Array.isArray(desired)) throw invalid('desired must be a JSON object');
      return send(res, 200, await backend.patchDesired(d.id, desired as Record<string, unknown>));
    }
    if (what === 'methods' && parts[3] && method === 'POST') {
      const text = await readBody(req);
      let payload: unknown = null;
      if (text.trim() !== '') {
        try {
          payload = JSON.parse(text);
        } catch {
          throw invalid('payload must be JSON');
        }
      }
      return send(res, 200, await backend.invokeMethod(d.id, decodePart(parts[3]), payload));
    }
    if (what === 'faults' && method === 'POST') {
      const body = await readJson(req);
      const fault = body.fault as FaultKind;
      if (typeof body.sensorId !== 'string' || FAULT_KINDS.indexOf(fault) < 0) {
        throw invalid(`expected {sensorId, fault: ${FAULT_KINDS.join('|')}}`);
      }
      await backend.injectFault(d.id, body.sensorId, fault);
      return send(res, 200, { ok: true });
    }
    if (what === 'network' && method === 'POST') {
      const body = await readJson(req);
      if (typeof body.up !== 'boolean') throw invalid('up must be a boolean');
      await backend.setNetwork(d.id, body.up);
      return send(res, 200, { up: body.up });
    }
    const known = ROUTES.includes(what ?? '') && (what !== 'methods' || parts.length === 4);
    throw new RequestError(known ? 405 : 404, known ? `${method} not allowed here` : `no route /api/${parts.join('/')}`);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    if (parts[0] === 'api') {
      api(req, res, parts.slice(1)).catch((error: unknown) => {
        // close the connection after a 413: the rest of that body is not worth reading on
        if ((error as { status?: unknown }).status === 413) res.setHeader('connection', 'close');
        sendError(res, error);
      });
      return;
    }
    if (req.method !== 'GET') return sendError(res, new RequestError(405, `${req.method} not allowed here`));
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
