/**
 * IoT Hub's MQTT limits (docs: "Communicate with an IoT hub using the MQTT protocol",
 * "IoT Hub quotas and throttling"). The client enforces them before sending, so a violation
 * is a clear local error instead of a dropped connection.
 */

/** D2C message size: body plus properties (we count the whole topic as properties). */
export const MAX_D2C_MESSAGE_BYTES = 256 * 1024;
/** C2D message body limit: the MQTT layer must accept inbound publishes this large. */
export const MAX_C2D_MESSAGE_BYTES = 64 * 1024;
/** Room for the topic and headers of an inbound C2D publish, on top of its body. */
export const MAX_C2D_TOPIC_BYTES = 8 * 1024;
/** IoT Hub refuses more than this many subscriptions per connection... (topic filters). */
export const MAX_SUBSCRIPTIONS = 5;
/** Seconds. IoT Hub closes connections asking for more. */
export const MAX_KEEPALIVE_S = 1177;
export const DEFAULT_KEEPALIVE_S = 240;
/** Hub's MQTT API version, sent in the username. */
export const HUB_API_VERSION = '2021-04-12';
export const HUB_PORT = 8883;
/** MQTT over secure WebSockets: port and path of IoT Hub and DPS, with subprotocol `mqtt`. */
export const HUB_WSS_PORT = 443;
export const HUB_WSS_PATH = '/$iothub/websocket';
export const MQTT_WS_SUBPROTOCOL = 'mqtt';
