// The service side over HTTP+JSON on loopback: what a back end (the dashboard, the CLI) uses.
import type { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Hub } from './hub';
import type { Properties } from './rules';
import type { Json } from './twin-store';

export interface ServiceApi {
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(public readonly status: number, message: string, public readonly errorCode?: number) {
    super(message);
  }
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
      const body = (await readBody(req)) as Record<string, unknown>;
      const thumb = body.x509Thumbprint as { primaryThumbprint?: string; secondaryThumbprint?: string } | undefined;
      const device = hub.createDevice({
        ...(typeof body.deviceId === 'string' ? { deviceId: body.deviceId } : {}),
        ...(body.status === 'disabled' ? { status: 'disabled' as const } : {}),
        ...(typeof body.primaryKey === 'string' ? { primaryKey: body.primaryKey } : {}),
        ...(typeof body.secondaryKey === 'string' ? { secondaryKey: body.secondaryKey } : {}),
        ...(typeof (thumb?.primaryThumbprint ?? body.primaryThumbprint) === 'string' ? { primaryThumbprint: (thumb?.primaryThumbprint ?? body.primaryThumbprint) as string } : {}),
        ...(typeof (thumb?.secondaryThumbprint ?? body.secondaryThumbprint) === 'string' ? { secondaryThumbprint: (thumb?.secondaryThumbprint ?? body.secondaryThumbprint) as string } : {}),
      });
      res.statusCode = 201;
      return device;
    }],
    ['GET', /^\/api\/devices\/([^/]+)$/, (_q, _s, [id]) => hub.device(id) ?? notFound(id)],
    ['PATCH', /^\/api\/devices\/([^/]+)$/, async (req, _s, [id]) => {
      const body = (await readBody(req)) as { status?: unknown };
      if (body.status !== 'enabled' && body.status !== 'disabled') throw new HttpError(400, 'status must be "enabled" or "disabled"');
      return hub.setDeviceStatus(id, body.status);
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
      if (!Number.isInteger(limit) || limit < 1) throw new HttpError(400, 'limit must be a positive integer');
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
      const body = (await readBody(req)) as Record<string, unknown>;
      const payload = body.body === undefined ? '' : typeof body.body === 'string' ? body.body : JSON.stringify(body.body);
      const props = body.properties ?? {};
      if (typeof props !== 'object' || props === null || Object.values(props).some((v) => v !== null && typeof v !== 'string')) throw new HttpError(400, 'properties must map names to strings or null');
      const msg = hub.sendC2D(id, {
        body: Buffer.from(payload, 'utf8'),
        properties: props as Properties,
        ...(typeof body.messageId === 'string' ? { messageId: body.messageId } : {}),
        ...(typeof body.correlationId === 'string' ? { correlationId: body.correlationId } : {}),
        ...(typeof body.contentType === 'string' ? { contentType: body.contentType } : {}),
        ...(typeof body.contentEncoding === 'string' ? { contentEncoding: body.contentEncoding } : {}),
        ...(typeof body.ttlSeconds === 'number' ? { ttlSeconds: body.ttlSeconds } : {}),
      });
      res.statusCode = 202;
      return { messageId: msg.messageId, queued: hub.c2dQueue(id).length };
    }],
    ['GET', /^\/api\/devices\/([^/]+)\/twin$/, (_q, _s, [id]) => hub.twin(id)],
    ['PATCH', /^\/api\/devices\/([^/]+)\/twin$/, async (req, _s, [id]) => {
      const body = (await readBody(req)) as { properties?: { desired?: unknown }; desired?: unknown; tags?: unknown };
      const desired = body.properties?.desired ?? body.desired;
      if (desired === undefined && body.tags === undefined) throw new HttpError(400, 'body must be {"properties":{"desired":{...}}}, {"desired":{...}} or {"tags":{...}}');
      if (body.tags !== undefined) hub.updateTags(id, body.tags);
      if (desired !== undefined) hub.updateDesired(id, desired);
      return hub.twin(id);
    }],
    ['POST', /^\/api\/devices\/([^/]+)\/methods\/([^/]+)$/, async (req, _s, [id, name]) => {
      const body = (await readBody(req)) as { payload?: Json; timeout?: number; responseTimeoutInSeconds?: number };
      const timeout = body.responseTimeoutInSeconds ?? body.timeout ?? 30;
      if (typeof timeout !== 'number' || !(timeout > 0)) throw new HttpError(400, 'timeout must be a positive number of seconds');
      return hub.invokeMethod(id, name, body.payload ?? null, timeout);
    }],
    ['GET', /^\/api\/dps$/, () => ({ idScope: hub.idScope, dpsPort: hub.dpsPort, ...hub.enrollments() })],
    ['POST', /^\/api\/dps\/enrollments$/, async (req, res) => {
      const body = (await readBody(req)) as { registrationId?: unknown; primaryKey?: string; secondaryKey?: string; deviceId?: string };
      if (typeof body.registrationId !== 'string') throw new HttpError(400, 'registrationId is required');
      res.statusCode = 201;
      return hub.addEnrollment({ ...body, registrationId: body.registrationId });
    }],
    ['POST', /^\/api\/dps\/groups$/, async (req, res) => {
      const body = (await readBody(req)) as { groupId?: unknown; primaryKey?: string; secondaryKey?: string };
      if (typeof body.groupId !== 'string') throw new HttpError(400, 'groupId is required');
      res.statusCode = 201;
      return hub.addEnrollmentGroup({ ...body, groupId: body.groupId });
    }],
    ['DELETE', /^\/api\/dps\/(?:enrollments|groups)\/([^/]+)$/, (_q, res, [id]) => {
      if (!hub.removeEnrollment(id)) throw new HttpError(404, `enrollment ${id} not found`);
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
        return sendError(res, new HttpError(400, 'bad URL encoding'));
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
    sendError(res, new HttpError(pathMatched ? 405 : 404, pathMatched ? `${req.method} not allowed here` : `no route ${url.pathname}`));
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
  throw new HttpError(404, `device ${id} not found`, 404001);
}

function sendError(res: ServerResponse, err: unknown): void {
  const e = err as { status?: unknown; errorCode?: unknown; message?: unknown };
  const status = typeof e.status === 'number' && e.status >= 400 && e.status < 600 ? e.status : 500;
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ status, ...(typeof e.errorCode === 'number' ? { errorCode: e.errorCode } : {}), message: String(e.message ?? err) }));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new HttpError(413, 'request body over 1 MB');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch {
    throw new HttpError(400, 'body must be a JSON object');
  }
}
