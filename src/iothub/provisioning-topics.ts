/**
 * The Device Provisioning Service's MQTT binding (docs: "Communicate with DPS using the MQTT
 * protocol"; az_iot_provisioning_client.h): client id = registrationId, username
 * `{idScope}/registrations/{registrationId}/api-version=2019-03-31`, requests on
 * $dps/registrations/PUT|GET/..., responses on $dps/registrations/res/{status}/?$rid=..&retry-after=..
 */
import { parseDecimal, queryValue } from './query';
import { urlEncode } from './url-encoding';

export const DPS_API_VERSION = '2019-03-31';
export const DPS_GLOBAL_ENDPOINT = 'global.azure-devices-provisioning.net';
/** SAS key name (skn) for registration tokens. */
export const DPS_KEY_NAME = 'registration';
export const DPS_RESPONSE_SUBSCRIPTION = '$dps/registrations/res/#';
/** Seconds to wait before polling when the service gives no retry-after. */
export const DPS_DEFAULT_RETRY_AFTER_S = 3;

const DPS_RESPONSE_PREFIX = '$dps/registrations/res/';

export function dpsUsername(idScope: string, registrationId: string): string {
  return `${idScope}/registrations/${registrationId}/api-version=${DPS_API_VERSION}`;
}

export function dpsRegisterTopic(rid: string): string {
  return `$dps/registrations/PUT/iotdps-register/?$rid=${rid}`;
}

export function dpsQueryTopic(rid: string, operationId: string): string {
  return `$dps/registrations/GET/iotdps-get-operationstatus/?$rid=${rid}&operationId=${urlEncode(operationId)}`;
}

/** The register request's body. */
export function dpsRegisterPayload(registrationId: string): string {
  return JSON.stringify({ registrationId });
}

export interface DpsResponse {
  status: number;
  rid: string;
  /** Seconds, when the service asked the device to wait before polling again. */
  retryAfterS?: number;
}

/** Parses $dps/registrations/res/{status}/?$rid={rid}[&retry-after={s}]. */
export function parseDpsResponse(topic: string): DpsResponse | undefined {
  if (!topic.startsWith(DPS_RESPONSE_PREFIX)) return undefined;
  const slash = topic.indexOf('/', DPS_RESPONSE_PREFIX.length);
  if (slash < 0) return undefined;
  const status = parseDecimal(topic.slice(DPS_RESPONSE_PREFIX.length, slash));
  if (status === undefined) return undefined;
  const q = topic.charCodeAt(slash + 1) === 63 ? slash + 2 : slash + 1;
  const rid = queryValue(topic, q, '$rid');
  if (rid === undefined) return undefined;
  const result: DpsResponse = { status, rid };
  const retry = parseDecimal(queryValue(topic, q, 'retry-after'));
  if (retry !== undefined) result.retryAfterS = retry;
  return result;
}

/** What a DPS response body says (RegistrationOperationStatus, or an error). */
export interface DpsOperationStatus {
  operationId?: string;
  /** 'assigning', 'assigned', 'failed', 'disabled', 'unassigned'; undefined for error bodies. */
  status?: string;
  assignedHub?: string;
  deviceId?: string;
  substatus?: string;
  errorCode?: number;
  errorMessage?: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Reads a DPS response body. Throws SyntaxError for a body that is not JSON. */
export function parseDpsPayload(text: string): DpsOperationStatus {
  const body = JSON.parse(text) as Record<string, unknown> | null;
  const out: DpsOperationStatus = {};
  if (body === null || typeof body !== 'object') return out;
  const op = str(body.operationId);
  if (op !== undefined) out.operationId = op;
  const status = str(body.status);
  if (status !== undefined) out.status = status;
  const state = body.registrationState as Record<string, unknown> | undefined;
  const source = state && typeof state === 'object' ? state : body;
  const hub = str(source.assignedHub);
  if (hub !== undefined) out.assignedHub = hub;
  const deviceId = str(source.deviceId);
  if (deviceId !== undefined) out.deviceId = deviceId;
  const sub = str(source.substatus);
  if (sub !== undefined) out.substatus = sub;
  const code = source.errorCode ?? body.errorCode;
  if (typeof code === 'number') out.errorCode = code;
  const message = str(source.errorMessage) ?? str(body.message) ?? str(body.errorMessage);
  if (message !== undefined) out.errorMessage = message;
  return out;
}
