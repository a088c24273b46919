// IoT Hub's device-facing MQTT surface: the topics a device may use and the limits it must keep.

export const LIMITS = {
  /** D2C message size (IoT Hub: 256 KB) */
  d2cBytes: 256 * 1024,
  /** C2D message size (64 KB) */
  c2dBytes: 64 * 1024,
  /** C2D messages queued per device */
  c2dQueueDepth: 50,
  /**
   * C2D time to live in seconds: IoT Hub's range for a hub's defaultTtlAsIso8601, 1 minute to
   * 2 days (iot-hub-devguide-messages-c2d, "Cloud-to-device configuration options"); a message's
   * own expiry is held to the same range here.
   */
  c2dTtlSeconds: { min: 60, max: 2 * 24 * 3600 },
  /** subscriptions a device may hold at once */
  subscriptions: 5,
  /** a client keepalive above this is served with IoT Hub's 1767 s server-side ceiling (1.5 x 1178) */
  keepaliveSeconds: 1177,
  /** twin reported/desired section size */
  twinSectionBytes: 32 * 1024,
} as const;

export type Properties = Record<string, string | null>;

/** Parses an IoT Hub property bag (`a=1&$.mid=x&flag`), the query-string encoding the docs describe. */
export function parsePropertyBag(bag: string): Properties {
  // Null prototype: a property named "__proto__" (or "constructor") is just data here.
  const out: Properties = Object.create(null) as Properties;
  const trimmed = bag.startsWith('?') ? bag.slice(1) : bag;
  if (trimmed === '') return out;
  for (const part of trimmed.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = safeDecode(eq < 0 ? part : part.slice(0, eq));
    out[key] = eq < 0 ? null : safeDecode(part.slice(eq + 1));
  }
  return out;
}

/** Formats a property bag: null -> `key`, '' -> `key=`, value -> `key=value`, URL-encoded. */
export function formatPropertyBag(props: Properties): string {
  return Object.entries(props)
    .map(([k, v]) => (v === null ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export type DevicePublish =
  | { kind: 'telemetry'; properties: Properties }
  | { kind: 'twin-get'; rid: string }
  | { kind: 'twin-reported'; rid: string }
  | { kind: 'method-response'; status: number; rid: string };

/** Classifies a topic a device published to; undefined means IoT Hub would close the connection. */
export function classifyDevicePublish(deviceId: string, topic: string): DevicePublish | undefined {
  const events = `devices/${deviceId}/messages/events`;
  if (topic === events) return { kind: 'telemetry', properties: {} };
  if (topic.startsWith(events + '/')) return { kind: 'telemetry', properties: parsePropertyBag(topic.slice(events.length + 1)) };
  let m = /^\$iothub\/twin\/GET\/\?(.*)$/.exec(topic);
  if (m) return withRid(m[1], (rid) => ({ kind: 'twin-get', rid }));
  m = /^\$iothub\/twin\/PATCH\/properties\/reported\/\?(.*)$/.exec(topic);
  if (m) return withRid(m[1], (rid) => ({ kind: 'twin-reported', rid }));
  m = /^\$iothub\/methods\/res\/(\d{1,3})\/\?(.*)$/.exec(topic);
  if (m) {
    const status = Number(m[1]);
    return withRid(m[2], (rid) => ({ kind: 'method-response', status, rid }));
  }
  return undefined;
}

function withRid<T>(bag: string, make: (rid: string) => T): T | undefined {
  const rid = parsePropertyBag(bag)['$rid'];
  return rid ? make(rid) : undefined;
}

export const SUBSCRIPTIONS = {
  c2d: (deviceId: string) => `devices/${deviceId}/messages/devicebound/#`,
  twinResponses: '$iothub/twin/res/#',
  desired: '$iothub/twin/PATCH/properties/desired/#',
  methods: '$iothub/methods/POST/#',
} as const;

export function isAllowedSubscription(deviceId: string, filter: string): boolean {
  return (
    filter === SUBSCRIPTIONS.c2d(deviceId) ||
    filter === SUBSCRIPTIONS.twinResponses ||
    filter === SUBSCRIPTIONS.desired ||
    filter === SUBSCRIPTIONS.methods
  );
}

/** Splits `{hostName}/{deviceId}/?api-version=...` (older SDKs omit the `?`). */
export function parseUsername(username: string): { hostName: string; deviceId: string; moduleId?: string; query: string } | undefined {
  const q = username.indexOf('?');
  const path = q < 0 ? username : username.slice(0, q);
  const query = q < 0 ? '' : username.slice(q + 1);
  const parts = path.split('/');
  // trailing segment is '' (`.../?api-version`) or `api-version=...` (no `?`)
  if (parts.length >= 3 && parts[parts.length - 1].startsWith('api-version=')) return { hostName: parts[0], deviceId: parts[1], query: parts[parts.length - 1], ...(parts.length === 4 ? { moduleId: parts[2] } : {}) };
  if (parts.length === 3 && parts[2] === '') return { hostName: parts[0], deviceId: parts[1], query };
  if (parts.length === 4 && parts[3] === '') return { hostName: parts[0], deviceId: parts[1], moduleId: parts[2], query };
  return undefined;
}
