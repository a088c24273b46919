/**
 * A platform-neutral rig around Session for tests: decodes what the session sends, encodes what
 * the "broker" answers, and records events as short strings. Time is whatever the test says.
 */
import { encode } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import { ConnackCode, packetTypeName, PacketType, type Packet, type QoS } from '../../src/mqtt/packets';
import { Session, type SessionOptions } from '../../src/mqtt/session';

export function describePacket(p: Packet): string {
  switch (p.type) {
    case PacketType.CONNECT:
      return `CONNECT ${p.clientId} clean=${p.cleanSession ? 1 : 0} ka=${p.keepAlive}${p.username !== undefined ? ' user=' + p.username : ''}${p.password ? ' pw=' + p.password.length : ''}${p.will ? ' will=' + p.will.topic : ''}`;
    case PacketType.PUBLISH:
      return `PUBLISH ${p.topic} q${p.qos}${p.packetId ? ' id' + p.packetId : ''}${p.dup ? ' dup' : ''}${p.retain ? ' retain' : ''} ${p.payload.length}B`;
    case PacketType.SUBSCRIBE:
      return `SUBSCRIBE id${p.packetId} ${p.subscriptions.map((s) => s.topicFilter + ':' + s.qos).join(',')}`;
    case PacketType.UNSUBSCRIBE:
      return `UNSUBSCRIBE id${p.packetId} ${p.topicFilters.join(',')}`;
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return `${packetTypeName(p.type)} id${p.packetId}`;
    default:
      return packetTypeName(p.type);
  }
}

export interface Rig {
  session: Session;
  /** Packets the session sent since the last take(), described. */
  take(): string[];
  /** Events since the last events(), described. */
  events(): string[];
  /** Encodes `packet` as the broker would and feeds it to the session. */
  deliver(packet: Packet, now: number): void;
  deliverBytes(bytes: number[], now: number): void;
  /** Like deliver, in chunks of `size` bytes (as a socket hands them over). */
  deliverChunked(packet: Packet, now: number, size: number): void;
  /** connect + CONNACK accepted. */
  open(now: number, sessionPresent?: boolean): void;
  /** Buffers handed to onSend (to check reuse). */
  sendBuffers: ArrayBufferLike[];
}

/** `onConnected` runs inside the session's onConnected, as an application's handler would. */
export function rig(options: Partial<SessionOptions> = {}, hooks: { onConnected?: (session: Session) => void } = {}): Rig {
  const sent: string[] = [];
  const log: string[] = [];
  const sendBuffers: ArrayBufferLike[] = [];
  const sniffer = new Decoder({
    maxPacketSize: 1 << 20,
    onPacket: (p) => sent.push(describePacket(p)),
    onError: (e) => sent.push('UNDECODABLE ' + e.code),
  });
  const session = new Session(
    { clientId: 'dev1', ...options },
    {
      onSend: (bytes) => {
        sendBuffers.push(bytes.buffer);
        sniffer.push(bytes);
      },
      onConnected: (present) => {
        log.push(`connected present=${present ? 1 : 0}`);
        hooks.onConnected?.(session);
      },
      onMessage: (topic, payload, info) =>
        log.push(`message ${topic} q${info.qos}${info.dup ? ' dup' : ''}${info.retain ? ' retain' : ''}${info.oversize ? ` oversize=${info.oversize}` : ''} ${text(payload)}`),
      onPublishAcked: (id, token) => log.push(`acked id${id} ${String(token)}`),
      onSubscribed: (id, granted) => log.push(`subscribed id${id} ${granted.join(',')}`),
      onUnsubscribed: (id) => log.push(`unsubscribed id${id}`),
      onError: (e) => log.push(`error ${e.code}`),
      onClose: (r) => log.push(`close ${r.code}${r.error ? ' ' + r.error.code : ''}`),
    },
  );
  const buf = new Uint8Array(1 << 20);
  const r: Rig = {
    session,
    sendBuffers,
    take: () => sent.splice(0, sent.length),
    events: () => log.splice(0, log.length),
    deliver(packet, now) {
      const n = encode(packet, buf, 0);
      session.receive(buf.slice(0, n), now);
    },
    deliverBytes(bytes, now) {
      session.receive(new Uint8Array(bytes), now);
    },
    deliverChunked(packet, now, size) {
      const n = encode(packet, buf, 0);
      for (let i = 0; i < n; i += size) session.receive(buf.slice(i, Math.min(n, i + size)), now);
    },
    open(now, sessionPresent = false) {
      session.connect({}, now);
      r.deliver({ type: PacketType.CONNACK, sessionPresent, returnCode: ConnackCode.ACCEPTED }, now);
    },
  };
  return r;
}

/** Latin-1 text of a payload, without spreading it onto the stack (XS devices have 896 slots). */
function text(payload: Uint8Array): string {
  let s = '';
  for (const b of payload) s += String.fromCharCode(b);
  return s;
}

export const bytes = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};

export function inbound(topic: string, payload: string, qos: QoS, packetId?: number, dup = false): Packet {
  return { type: PacketType.PUBLISH, topic, payload: bytes(payload), qos, retain: false, dup, packetId };
}
