/**
 * Message property bags: how IoT Hub carries message properties in MQTT topic names.
 * `key=value` pairs joined by '&', each side URL-encoded (encodeURIComponent rules), e.g.
 *   %24.mid=42&%24.ct=application%2Fjson&%24.ce=utf-8&alert=high
 * System properties use reserved names ($.mid, $.ct, ...); everything else is an application
 * property. Parsing accepts `k`, `k=` and `k=v` (the first two give an empty value).
 */
import { urlDecode, urlEncode } from './url-encoding';

export const SYSTEM_PROPERTY = Object.freeze({
  messageId: '$.mid',
  correlationId: '$.cid',
  userId: '$.uid',
  contentType: '$.ct',
  contentEncoding: '$.ce',
  to: '$.to',
  expiry: '$.exp',
  ack: 'iothub-ack',
} as const);

/** Properties of a device-to-cloud message. */
export interface MessageProperties {
  messageId?: string;
  correlationId?: string;
  userId?: string;
  contentType?: string;
  contentEncoding?: string;
  /** Application properties. */
  custom?: Record<string, string>;
}

/** Properties of a cloud-to-device message: the system ones IoT Hub sets, and the sender's. */
export interface C2dProperties {
  messageId?: string;
  correlationId?: string;
  userId?: string;
  contentType?: string;
  contentEncoding?: string;
  /** Destination, e.g. /devices/thermo-01/messages/deviceBound. */
  to?: string;
  /** Absolute expiry time as IoT Hub writes it. */
  expiry?: string;
  /** Feedback the sender asked for: none, positive, negative, full. */
  ack?: string;
  custom: Record<string, string>;
}

export class PropertyBagError extends Error {
  override name = 'PropertyBagError';
}

function appendPair(bag: string, key: string, value: string): string {
  if (key === '') throw new PropertyBagError('message property names must not be empty');
  return appendEncoded(bag, urlEncode(key), value);
}

/** `encodedKey` is already URL-encoded (the system names are constants: no work per message). */
function appendEncoded(bag: string, encodedKey: string, value: string): string {
  const pair = `${encodedKey}=${urlEncode(value)}`;
  return bag === '' ? pair : `${bag}&${pair}`;
}

/** The property bag for a D2C message ('' when there are no properties). */
export function encodePropertyBag(props: MessageProperties | undefined): string {
  if (!props) return '';
  let bag = '';
  if (props.messageId !== undefined) bag = appendEncoded(bag, '%24.mid', props.messageId);
  if (props.correlationId !== undefined) bag = appendEncoded(bag, '%24.cid', props.correlationId);
  if (props.userId !== undefined) bag = appendEncoded(bag, '%24.uid', props.userId);
  if (props.contentType !== undefined) bag = appendEncoded(bag, '%24.ct', props.contentType);
  if (props.contentEncoding !== undefined) bag = appendEncoded(bag, '%24.ce', props.contentEncoding);
  const custom = props.custom;
  if (custom) {
    for (const key of Object.keys(custom)) {
      if (key.charCodeAt(0) === 36 /* $ */) {
        throw new PropertyBagError(`application property "${key}" starts with '$', which IoT Hub reserves for system properties`);
      }
      bag = appendPair(bag, key, custom[key]);
    }
  }
  return bag;
}

/** Sets own enumerable data properties, so a key like "__proto__" is kept as data. */
function put(target: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Calls `onPair(key, value)` for each pair of the bag in text[start, end), decoded.
 * Empty segments (a trailing '&') are skipped. Throws PropertyBagError for bad escapes.
 */
export function forEachProperty(
  text: string,
  start: number,
  end: number,
  onPair: (key: string, value: string) => void,
): void {
  let i = start;
  while (i < end) {
    let amp = text.indexOf('&', i);
    if (amp < 0 || amp > end) amp = end;
    if (amp > i) {
      let eq = text.indexOf('=', i);
      if (eq < 0 || eq > amp) eq = amp;
      try {
        onPair(urlDecode(text, i, eq), eq < amp ? urlDecode(text, eq + 1, amp) : '');
      } catch (e) {
        if (e instanceof PropertyBagError) throw e;
        throw new PropertyBagError(`malformed message property: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    i = amp + 1;
  }
}

/** All pairs of a bag as a record (a later duplicate key wins). */
export function parsePropertyBag(text: string, start = 0, end = text.length): Record<string, string> {
  const out: Record<string, string> = {};
  forEachProperty(text, start, end, (k, v) => put(out, k, v));
  return out;
}

/** Splits a C2D property bag into IoT Hub's system properties and the application's own. */
export function parseC2dProperties(text: string, start = 0, end = text.length): C2dProperties {
  const result: C2dProperties = { custom: {} };
  forEachProperty(text, start, end, (k, v) => {
    switch (k) {
      case SYSTEM_PROPERTY.messageId: result.messageId = v; break;
      case SYSTEM_PROPERTY.correlationId: result.correlationId = v; break;
      case SYSTEM_PROPERTY.userId: result.userId = v; break;
      case SYSTEM_PROPERTY.contentType: result.contentType = v; break;
      case SYSTEM_PROPERTY.contentEncoding: result.contentEncoding = v; break;
      case SYSTEM_PROPERTY.to: result.to = v; break;
      case SYSTEM_PROPERTY.expiry: result.expiry = v; break;
      case SYSTEM_PROPERTY.ack: result.ack = v; break;
      default:
        // Other $-names and iothub-* names are system properties this client does not use.
        if (k.charCodeAt(0) !== 36 && k.indexOf('iothub-') !== 0) put(result.custom, k, v);
    }
  });
  return result;
}
