/**
 * IoT Hub's MQTT binding for devices and modules: client id, username and topic names, and
 * parsers for the topics the hub publishes to the device. Builders return one string made by
 * one concatenation; parsers read the topic in place and return small result objects (or
 * undefined when the topic is not theirs), like az_iot_hub_client_*_parse_received_topic in
 * Azure SDK for Embedded C.
 */
import { HUB_API_VERSION } from './limits';
import { encodePropertyBag, parseC2dProperties, type C2dProperties, type MessageProperties } from './properties';
import { parseDecimal, queryValue } from './query';

/** MQTT client id: deviceId, or deviceId/moduleId. */
export function hubClientId(deviceId: string, moduleId?: string): string {
  return moduleId === undefined ? deviceId : `${deviceId}/${moduleId}`;
}

/**
 * MQTT username: `{hostName}/{clientId}/?api-version=2021-04-12`. hostName is always the
 * hub's full name (myhub.azure-devices.net), also when connecting through a gateway.
 */
export function hubUsername(hostName: string, deviceId: string, moduleId?: string): string {
  return `${hostName}/${hubClientId(deviceId, moduleId)}/?api-version=${HUB_API_VERSION}`;
}

/** devices/{deviceId}[/modules/{moduleId}]/messages/events/ */
export function telemetryTopicPrefix(deviceId: string, moduleId?: string): string {
  return moduleId === undefined
    ? `devices/${deviceId}/messages/events/`
    : `devices/${deviceId}/modules/${moduleId}/messages/events/`;
}

/** The D2C topic with the message's property bag appended. */
export function telemetryTopic(deviceId: string, moduleId?: string, properties?: MessageProperties): string {
  const bag = encodePropertyBag(properties);
  return telemetryTopicPrefix(deviceId, moduleId) + bag;
}

/** devices/{deviceId}/messages/devicebound/# (C2D goes to devices, not modules). */
export function c2dSubscription(deviceId: string): string {
  return `devices/${deviceId}/messages/devicebound/#`;
}

export interface C2dTopic {
  deviceId: string;
  properties: C2dProperties;
}

const DEVICES = 'devices/';
const DEVICEBOUND = '/messages/devicebound/';

/** Parses devices/{id}/messages/devicebound/{property bag}; undefined for other topics. */
export function parseC2dTopic(topic: string): C2dTopic | undefined {
  if (!topic.startsWith(DEVICES)) return undefined;
  const mark = topic.indexOf(DEVICEBOUND, DEVICES.length);
  if (mark <= DEVICES.length) return undefined;
  const deviceId = topic.slice(DEVICES.length, mark);
  if (deviceId.indexOf('/') >= 0) return undefined;
  return { deviceId, properties: parseC2dProperties(topic, mark + DEVICEBOUND.length) };
}

// Device twin.
export const TWIN_RESPONSE_SUBSCRIPTION = '$iothub/twin/res/#';
export const TWIN_DESIRED_SUBSCRIPTION = '$iothub/twin/PATCH/properties/desired/#';
const TWIN_RESPONSE_PREFIX = '$iothub/twin/res/';
const TWIN_DESIRED_PREFIX = '$iothub/twin/PATCH/properties/desired/';

export function twinGetTopic(rid: string): string {
  return `$iothub/twin/GET/?$rid=${rid}`;
}

export function twinPatchReportedTopic(rid: string): string {
  return `$iothub/twin/PATCH/properties/reported/?$rid=${rid}`;
}

export interface TwinResponse {
  /** HTTP-like status: 200 for GET, 204 for a reported patch, 4xx/5xx for errors, 429 throttled. */
  status: number;
  rid: string;
  /** Reported properties' version after a patch. */
  version?: number;
}

/** Finds `{status}/?` after `prefix`; returns [status, index of the query] or undefined. */
function statusAndQuery(topic: string, prefix: string): [number, number] | undefined {
  if (!topic.startsWith(prefix)) return undefined;
  const slash = topic.indexOf('/', prefix.length);
  if (slash < 0) return undefined;
  const status = parseDecimal(topic.slice(prefix.length, slash));
  if (status === undefined) return undefined;
  const q = topic.charCodeAt(slash + 1) === 63 /* ? */ ? slash + 2 : slash + 1;
  return [status, q];
}

/** Parses $iothub/twin/res/{status}/?$rid={rid}[&$version={v}]. */
export function parseTwinResponse(topic: string): TwinResponse | undefined {
  const sq = statusAndQuery(topic, TWIN_RESPONSE_PREFIX);
  if (!sq) return undefined;
  const rid = queryValue(topic, sq[1], '$rid');
  if (rid === undefined) return undefined;
  const result: TwinResponse = { status: sq[0], rid };
  const version = parseDecimal(queryValue(topic, sq[1], '$version'));
  if (version !== undefined) result.version = version;
  return result;
}

/** Parses $iothub/twin/PATCH/properties/desired/?$version={v}; undefined for other topics. */
export function parseDesiredPatchTopic(topic: string): { version: number | undefined } | undefined {
  if (!topic.startsWith(TWIN_DESIRED_PREFIX)) return undefined;
  let q = TWIN_DESIRED_PREFIX.length;
  if (topic.charCodeAt(q) === 63) q++;
  return { version: parseDecimal(queryValue(topic, q, '$version')) };
}

// Direct methods.
export const METHODS_SUBSCRIPTION = '$iothub/methods/POST/#';
const METHODS_PREFIX = '$iothub/methods/POST/';

export interface MethodRequest {
  name: string;
  rid: string;
}

/** Parses $iothub/methods/POST/{name}/?$rid={rid}. */
export function parseMethodRequest(topic: string): MethodRequest | undefined {
  if (!topic.startsWith(METHODS_PREFIX)) return undefined;
  const slash = topic.indexOf('/', METHODS_PREFIX.length);
  if (slash <= METHODS_PREFIX.length) return undefined;
  const q = topic.charCodeAt(slash + 1) === 63 ? slash + 2 : slash + 1;
  const rid = queryValue(topic, q, '$rid');
  if (rid === undefined || rid === '') return undefined;
  return { name: topic.slice(METHODS_PREFIX.length, slash), rid };
}

/** $iothub/methods/res/{status}/?$rid={rid}: where the device answers a method call. */
export function methodResponseTopic(status: number, rid: string): string {
  return `$iothub/methods/res/${status}/?$rid=${rid}`;
}
