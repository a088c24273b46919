/**
 * Message metadata on Event Grid's MQTT broker: MQTT 5.0 PUBLISH properties (OASIS MQTT 5.0,
 * 3.3.2.3) instead of IoT Hub's property bag in the topic.
 *
 * The device's MessageProperties map as follows:
 *   '$.ct'   -> Content Type (3.3.2.3.9)
 *   '$.ce'   -> Payload Format Indicator 1 (UTF-8, 3.3.2.3.2) when 'utf-8'; else a user property
 *   others   -> User Properties (3.3.2.3.7), in key order
 * Event Grid routes content type and user properties with the message
 * (https://learn.microsoft.com/azure/event-grid/mqtt-support).
 */
import type { Properties, UserProperty } from '../mqtt/packets';

export type PropertyBag = Record<string, string>;

/** PUBLISH properties for a message whose metadata is `bag`. */
export function publishProperties(bag: PropertyBag): Properties {
  const out: Properties = {};
  const user: UserProperty[] = [];
  for (const key of Object.keys(bag)) {
    const value = bag[key];
    if (key === '$.ct') out.contentType = value;
    else if (key === '$.ce' && value.toLowerCase() === 'utf-8') out.payloadFormatIndicator = true;
    else user.push([key, value]);
  }
  if (user.length > 0) out.userProperties = user;
  return out;
}

/**
 * The metadata of a received message: its user properties (a repeated name keeps the last
 * value), and `$contentType` from Content Type, as the IoT Hub adapter names C2D's.
 */
export function bagOf(properties: Properties | undefined): PropertyBag {
  const out: PropertyBag = {};
  if (!properties) return out;
  const user = properties.userProperties;
  if (user) for (const p of user) out[p[0]] = p[1];
  if (properties.contentType !== undefined) out.$contentType = properties.contentType;
  return out;
}

/**
 * PUBLISH properties of the reply to a request (MQTT 5.0, 4.10 Request / Response): the
 * request's Correlation Data, JSON content, and the status as the user property `status`, as
 * IoT Hub's direct methods carry it.
 */
export function replyProperties(correlationData: Uint8Array | undefined, status: number): Properties {
  const out: Properties = { contentType: 'application/json', payloadFormatIndicator: true, userProperties: [['status', String(status)]] };
  if (correlationData !== undefined) out.correlationData = correlationData;
  return out;
}
