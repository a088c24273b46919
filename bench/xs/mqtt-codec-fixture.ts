/** The benchmark packet, shared by bench/mqtt-codec.ts (Node) and its XS entry. */
import { PacketType, type PublishPacket } from '../../src/mqtt/packets';

export const BENCH_TOPIC = 'devices/thermo-01/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8';
/** 76 bytes of telemetry JSON. */
export const BENCH_JSON = '{"deviceId":"thermo-01","sensor":"28-ff4a1b","t":21.5625,"ts":1790000000123}';

export function benchPayload(): Uint8Array {
  const out = new Uint8Array(BENCH_JSON.length);
  for (let i = 0; i < out.length; i++) out[i] = BENCH_JSON.charCodeAt(i);
  return out;
}

export function benchPacket(): PublishPacket {
  return { type: PacketType.PUBLISH, topic: BENCH_TOPIC, payload: benchPayload(), qos: 1, retain: false, dup: false, packetId: 4242 };
}

/** The MQTT 5.0 benchmark topic: a telemetry topic as an Event Grid topic space would have it. */
export const BENCH_TOPIC_V5 = 'devices/thermo-01/telemetry';

/**
 * The MQTT 5.0 benchmark packet: the same JSON as a QoS 1 PUBLISH with what 5.0 telemetry carries
 * instead of 3.1.1's topic-encoded property bag: Payload Format Indicator, Content Type and a
 * User Property.
 */
export function benchPacket5(): PublishPacket {
  return {
    type: PacketType.PUBLISH,
    topic: BENCH_TOPIC_V5,
    payload: benchPayload(),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 4242,
    properties: { payloadFormatIndicator: true, contentType: 'application/json', userProperties: [['sensor', '28-ff4a1b']] },
  };
}
