// The service side over HTTP+JSON on loopback: what a back end (the dashboard, the CLI) uses.
import type { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Hub } from './hub';
import { parseC2DRequest } from './c2d-request';
import { invalid, optionalChoice, optionalNumber, optionalObject, optionalString, requiredString, RequestError, type Fields } from './request-fields';
import type { Json } from './twin-store';

export interface ServiceApi {
  port: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], url: URL) => Promise<unknown> | unknown;

/** Events the SSE stream carries, with the device they concern. */
const STREAMED = ['telemetry', 'connected', 'disconnected', 'refused', 'violation', 'twin-reported', 'twin-desired', 'c2d-queued', 'c2d-sent', 'c2d-completed', 'method-invoked', 'method-response', 'device-created', 'device-deleted', 'provisioned'] as const;

export async function startServiceApi(hub: Hub, events: EventEmitter, port: number): Promise<ServiceApi> {
  const streams = new Set<ServerResponse>();

  const stream = (req: IncomingMessage, res: ServerResponse, deviceId: string | undefined, only?: string) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'access-control-allow-origin': '*' });
    res.write('retry: 2000\n\n');
    const listeners = STREAMED.filter((e) => !only || e === only).map((name) => {
      const fn = (data: { deviceId?: string }) => {
        if (deviceId !== undefined && data.deviceId !== deviceId) return;
        res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      events.on(name, fn);
      return [name, fn] as const;
    });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    streams.add(res);
    const end = () => {
      clearInterval(ping);
      for (const [name, fn] of listeners) events.off(name, fn);
      streams.delete(res);
    };
    req.on('close', end);
    return undefined;
  };

  const routes: [string, RegExp, Handler][] = [
    ['GET', /^\/api\/hub$/, () => ({ hostName: hub.hostName, idScope: hub.idScope, mqttPort: hub.mqttPort, dpsPort: hub.dpsPort, httpPort: hub.httpPort, caPath: hub.caPath, caDerPath: hub.caDerPath })],
    ['GET', /^\/api\/ca$/, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' });
      res.end(hub.caPem);
      return undefined;
    }],
    ['GET', /^\/api\/events$/, (req, res) => stream(req, res, undefined)],
    ['GET', /^\/api\/devices$/, () => hub.devices()],
    ['POST', /^\/api\/devices$/, async (req, res) => {
      const body = await readBody(req);
      const thumb = optionalObject(body, 'x509Thumbprint') ?? {};
      const primaryThumbprint = optionalString(thumb, 'primaryThumbprint') ?? optionalString(body, 'primaryThumbprint');
      const secondaryThumbprint = optionalString(thumb, 'secondaryThumbprint') ?? optionalString(body, 'secondaryThumbprint');
      const deviceId = optionalString(body, 'deviceId', true);
      const status = optionalChoice(body, 'status', ['enabled', 'disabled'] as const);
      const primaryKey = optionalString(body, 'primaryKey');
      const secondaryKey = optionalString(body, 'secondaryKey');
      const device = hub.createDevice({
        ...(deviceId !== undefined ? { deviceId } : {}),
        ...(status !== undefined ? { status } : {}),
        ...(primaryKey !== undefined ? { primaryKey } : {}),
        ...(secondaryKey !== undefined ? { secondaryKey } : {}),
        ...(primaryThumbprint !== undefined ? { primaryThumbprint } : {}),
        ...(secondaryThumbprint !== undefined ? { secondaryThumbprint } : {}),
      });
      res.statusCode = 201;
      return device;
    }],
    ['GET', /^\/api\/devices\/([^/]+)$/, (_q, _s, [id]) => hub.device(id) ?? notFound(id)],
    ['PATCH', /^\/api\/devices\/([^/]+)$/, async (req, _s, [id]) => {
      const status = optionalChoice(await readBody(req), 'status', ['enabled', 'disabled'] as const);
      if (status === undefined) throw invalid('status must be "enabled" or "disabled"');
      return hub.setDeviceStatus(id, status);
    }],
    ['DELETE', /^\/api\/devices\/([^/]+)$/, async (_q, res, [id]) => {
      if (!(await hub.deleteDevice(id))) notFound(id);
      res.statusCode = 204;
      return undefined;
    }],
    ['GET', /^\/api\/devices\/([^/]+)\/connection-string$/, (_q, _s, [id]) => ({ connectionString: hub.connectionString(id) })],
    ['GET', /^\/api\/devices\/([^/]+)\/telemetry$/, (_q, _s, [id], url) => {
      if (!hub.device(id)) notFound(id);
      const limit = Number(url.searchParams.get('limit') ?? 100);
      if (!Number.isInteger(limit) || limit < 1) throw invalid('limit must be a positive integer');
      return hub.telemetry(id, limit);
    }],
    ['GET', /^\/api\/devices\/([^/]+)\/telemetry\/stream$/, (req, res, [id]) => {
      if (!hub.device(id)) notFound(id);
      return stream(req, res, id, 'telemetry');
    }],
    ['GET', /^\/api\/devices\/([^/]+)\/events$/, (req, res, [id]) => {
      if (!hub.device(id)) notFound(id);
      return stream(req, res, id);
    }],
    ['GET', /^\/api\/devices\/([^/]+)\/c2d$/, (_q, _s, [id]) => hub.c2dQueue(id).map((m) => ({ messageId: m.messageId, enqueuedTime: m.enqueuedTime, deliveryCount: m.deliveryCount, properties: m.properties, body: m.body.toString('utf8') }))],
    ['POST', /^\/api\/devices\/([^/]+)\/c2d$/, async (req, res, [id]) => {
      const msg = hub.sendC2D(id, parseC2DRequest(await readBody(req)));
      res.statusCode = 202;
      return { messageId: msg.messageId, queued: hub.c2dQueue(id).length };
    }],
    ['GET', /^\/api\/devices\/([^/]+)\/twin$/, (_q, _s, [id]) => hub.twin(id)],
    ['PATCH', /^\/api\/devices\/([^/]+)\/twin$/, async (req, _s, [id]) => {
      const body = await readBody(req);
      const desired = optionalObject(body, 'properties')?.desired ?? body.desired;
      if (desired === undefined && body.tags === undefined) throw invalid('body must be {"properties":{"desired":{...}}}, {"desired":{...}} or {"tags":{...}}');
      if (body.tags !== undefined) hub.updateTags(id, body.tags);
      if (desired !== undefined) hub.updateDesired(id, desired);
      return hub.twin(id);
    }],
    ['POST', /^\/api\/devices\/([^/]+)\/methods\/([^/]+)$/, async (req, _s, [id, name]) => {
      const body = await readBody(req);
      const timeout = optionalNumber(body, 'responseTimeoutInSeconds') ?? optionalNumber(body, 'timeout') ?? 30;
      // IoT Hub takes 5..300 s; shorter timeouts are allowed here so tests stay quick
      if (!(timeout > 0 && timeout <= 300)) throw invalid('timeout must be a number of seconds, more than 0 and at most 300');
      return hub.invokeMethod(id, name, (body.payload ?? null) as Json, timeout);
    }],
    ['GET', /^\/api\/dps$/, () => ({ idScope: hub.idScope, dpsPort: hub.dpsPort, ...hub.enrollments() })],
    ['POST', /^\/api\/dps\/enrollments$/, async (req, res) => {
      const body = await readBody(req);
      const registrationId = requiredString(body, 'registrationId');
      const keys = enrollmentKeys(body);
      const deviceId = optionalString(body, 'deviceId', true);
      res.statusCode = 201;
      return hub.addEnrollment({ registrationId, ...keys, ...(deviceId !== undefined ? { deviceId } : {}) });
    }],
    ['POST', /^\/api\/dps\/groups$/, async (req, res) => {
      const body = await readBody(req);
      const groupId = requiredString(body, 'groupId');
      res.statusCode = 201;
      return hub.addEnrollmentGroup({ groupId, ...enrollmentKeys(body) });
    }],
    ['DELETE', /^\/api\/dps\/(?:enrollments|groups)\/([^/]+)$/, (_q, res, [id]) => {
      if (!hub.removeEnrollment(id)) throw new RequestError(404, `enrollment ${id} not found`);
      res.statusCode = 204;
      return undefined;
    }],
  ];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    res.setHeader('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-methods': 'GET,POST,PATCH,DELETE', 'access-control-allow-headers': 'content-type' });
      res.end();
      return;
    }
    let pathMatched = false;
    for (const [method, pattern, handler] of routes) {
      const m = pattern.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (method !== req.method) continue;
      let params: string[];
      try {
        params = m.slice(1).map(decodeURIComponent);
      } catch {
        return sendError(res, invalid(`bad URL encoding in ${url.pathname}`));
      }
      Promise.resolve()
        .then(() => handler(req, res, params, url))
        .then(
          (result) => {
            if (res.headersSent || res.writableEnded) return;
            if (result === undefined) return void res.end();
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify(result));
          },
          (err: unknown) => sendError(res, err),
        );
      return;
    }
    sendError(res, new RequestError(pathMatched ? 405 : 404, pathMatched ? `${req.method} not allowed here` : `no route ${url.pathname}`));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of streams) s.end();
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

function notFound(id: string): never {
  throw new RequestError(404, `device ${id} not found`, 404001);
}

/** Optional enrollment keys: strings of base64 (DPS checks them when a device attests). */
function enrollmentKeys(body: Fields): { primaryKey?: string; secondaryKey?: string } {
  const primaryKey = optionalString(body, 'primaryKey', true);
  const secondaryKey = optionalString(body, 'secondaryKey', true);
  return { ...(primaryKey !== undefined ? { primaryKey } : {}), ...(secondaryKey !== undefined ? { secondaryKey } : {}) };
}

function sendError(res: ServerResponse, err: unknown): void {
  const e = err as { status?: unknown; errorCode?: unknown; message?: unknown };
  const status = typeof e.status === 'number' && e.status >= 400 && e.status < 600 ? e.status : 500;
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status, ...(typeof e.errorCode === 'number' ? { errorCode: e.errorCode } : {}), message: String(e.message ?? err) }));
}

async function readBody(req: IncomingMessage): Promise<Fields> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new RequestError(413, 'request body over 1 MB');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Fields;
  } catch {
    throw invalid('body must be a JSON object');
  }
}
