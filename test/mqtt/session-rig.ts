/**
 * A platform-neutral rig around Session for tests: decodes what the session sends, encodes what
 * the "broker" answers, and records events as short strings. Time is whatever the test says.
 */
import { encode } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import { ConnackCode, packetTypeName, PacketType, type Packet, type Properties, type QoS } from '../../src/mqtt/packets';
import { Session, type SessionOptions } from '../../src/mqtt/session';

/** Properties as short text, keys sorted, bytes as hex: ' {contentType=x,topicAlias=1}', or '' for none. */
export function describeProperties(props: Properties | undefined): string {
  if (props === undefined) return '';
  const parts: string[] = [];
  for (const key of Object.keys(props).sort()) {
    const v = (props as Record<string, unknown>)[key];
    let shown: string;
    if (v instanceof Uint8Array) {
      shown = '';
      for (const b of v) shown += (b < 16 ? '0' : '') + b.toString(16);
    } else shown = Array.isArray(v) ? v.map((x) => (Array.isArray(x) ? x.join(':') : String(x))).join('|') : String(v);
    parts.push(`${key}=${shown}`);
  }
  return ` {${parts.join(',')}}`;
}

/** ' rc=0x87' for a 5.0 reason code other than 0, else ''. */
const rc = (code: number | undefined): string => (code ? ` rc=0x${code.toString(16)}` : '');

export function describePacket(p: Packet): string {
  switch (p.type) {
    case PacketType.CONNECT:
      return `CONNECT ${p.clientId} clean=${p.cleanSession ? 1 : 0} ka=${p.keepAlive}${p.username !== undefined ? ' user=' + p.username : ''}${p.password ? ' pw=' + p.password.length : ''}${p.will ? ' will=' + p.will.topic + describeProperties(p.will.properties) : ''}${p.protocolVersion === 5 ? ' v5' : ''}${describeProperties(p.properties)}`;
    case PacketType.PUBLISH:
      return `PUBLISH ${p.topic} q${p.qos}${p.packetId ? ' id' + p.packetId : ''}${p.dup ? ' dup' : ''}${p.retain ? ' retain' : ''} ${p.payload.length}B${describeProperties(p.properties)}`;
    case PacketType.SUBSCRIBE:
      return `SUBSCRIBE id${p.packetId} ${p.subscriptions
        .map((s) => s.topicFilter + ':' + s.qos + (s.noLocal ? ':nl' : '') + (s.retainAsPublished ? ':rap' : '') + (s.retainHandling ? ':rh' + s.retainHandling : ''))
        .join(',')}${describeProperties(p.properties)}`;
    case PacketType.UNSUBSCRIBE:
      return `UNSUBSCRIBE id${p.packetId} ${p.topicFilters.join(',')}`;
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return `${packetTypeName(p.type)} id${p.packetId}${rc(p.reasonCode)}${describeProperties(p.properties)}`;
    case PacketType.DISCONNECT:
    case PacketType.AUTH:
      return `${packetTypeName(p.type)}${rc(p.reasonCode)}${describeProperties(p.properties)}`;
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
  /** connect + CONNACK accepted (5.0: with these CONNACK properties). */
  open(now: number, sessionPresent?: boolean, properties?: Properties): void;
  /** Buffers handed to onSend (to check reuse). */
  sendBuffers: ArrayBufferLike[];
}

/** `onConnected` runs inside the session's onConnected, as an application's handler would. */
export function rig(options: Partial<SessionOptions> = {}, hooks: { onConnected?: (session: Session) => void } = {}): Rig {
  const sent: string[] = [];
  const log: string[] = [];
  const sendBuffers: ArrayBufferLike[] = [];
  const version = options.protocolVersion === 5 ? 5 : 4;
  const sniffer = new Decoder({
    maxPacketSize: 1 << 20,
    protocolVersion: version,
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
      onConnected: (present, properties) => {
        log.push(`connected present=${present ? 1 : 0}${describeProperties(properties)}`);
        hooks.onConnected?.(session);
      },
      onMessage: (topic, payload, info) =>
        log.push(`message ${topic} q${info.qos}${info.dup ? ' dup' : ''}${info.retain ? ' retain' : ''}${info.oversize ? ` oversize=${info.oversize}` : ''} ${text(payload)}${describeProperties(info.properties)}`),
      onPublishAcked: (id, token, reasonCode) => log.push(`acked id${id} ${String(token)}${rc(reasonCode)}`),
      onSubscribed: (id, granted) => log.push(`subscribed id${id} ${granted.join(',')}`),
      onUnsubscribed: (id, reasonCodes) => log.push(`unsubscribed id${id}${reasonCodes ? ' ' + reasonCodes.join(',') : ''}`),
      onError: (e) => log.push(`error ${e.code}`),
      onClose: (r) => log.push(`close ${r.code}${r.error ? ' ' + r.error.code : ''}${rc(r.reasonCode)}${describeProperties(r.properties)}`),
    },
  );
  const buf = new Uint8Array(1 << 20);
  const r: Rig = {
    session,
    sendBuffers,
    take: () => sent.splice(0, sent.length),
    events: () => log.splice(0, log.length),
    deliver(packet, now) {
      const n = encode(packet, buf, 0, version);
      session.receive(buf.slice(0, n), now);
    },
    deliverBytes(bytes, now) {
      session.receive(new Uint8Array(bytes), now);
    },
    deliverChunked(packet, now, size) {
      const n = encode(packet, buf, 0, version);
      for (let i = 0; i < n; i += size) session.receive(buf.slice(i, Math.min(n, i + size)), now);
    },
    open(now, sessionPresent = false, properties) {
      session.connect({}, now);
      const connack: Packet = { type: PacketType.CONNACK, sessionPresent, returnCode: ConnackCode.ACCEPTED };
      if (properties) connack.properties = properties;
      r.deliver(connack, now);
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
