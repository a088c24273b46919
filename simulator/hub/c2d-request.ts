// The body of a cloud-to-device send request, as the service API and the dashboard API take it:
// {body, properties?, messageId?, correlationId?, contentType?, contentEncoding?, ttlSeconds?}.
// `body` is the message text (a non-string JSON value is sent as its JSON text); `properties`
// are application properties, an object of string values; `ttlSeconds` must lie in IoT Hub's
// range (checked by the queue: LIMITS.c2dTtlSeconds).
import type { C2DInput } from './c2d-queue';
import { invalid, optionalNumber, optionalString, optionalStringMap, type Fields } from './request-fields';

export interface C2DRequestOptions {
  /** refuse a missing or empty body (the dashboard sends text for a display) */
  requireText?: boolean;
}

export function parseC2DRequest(request: Fields, options: C2DRequestOptions = {}): C2DInput {
  const raw = request.body;
  if (options.requireText && (typeof raw !== 'string' || raw.trim() === '')) throw invalid('body must be a non-empty string');
  const text = raw === undefined ? '' : typeof raw === 'string' ? raw : JSON.stringify(raw);
  const properties = optionalStringMap(request, 'properties') ?? {};
  const messageId = optionalString(request, 'messageId', true);
  const correlationId = optionalString(request, 'correlationId');
  const contentType = optionalString(request, 'contentType');
  const contentEncoding = optionalString(request, 'contentEncoding');
  const ttlSeconds = optionalNumber(request, 'ttlSeconds');
  return {
    body: Buffer.from(text, 'utf8'),
    properties: { ...properties },
    ...(messageId !== undefined ? { messageId } : {}),
    ...(correlationId !== undefined ? { correlationId } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    ...(contentEncoding !== undefined ? { contentEncoding } : {}),
    ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
  };
}
