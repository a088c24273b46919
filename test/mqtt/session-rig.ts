/**
 * A platform-neutral rig around Session for tests: decodes what the session sends, encodes what
 * the "broker" answers, and records events as short strings. Time is whatever the test says.
 */
import type { Check } from '../harness';
import { encode, encodedLength } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import { ConnackCode, packetTypeName, PacketType, type Packet, type Properties, type ProtocolVersion, type QoS } from '../../src/mqtt/packets';
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
  /** The onSend calls since the last sends(), each as given (a view) and as a copy made during the call. */
  sends(): Sent[];
}

export interface Sent {
  /** The bytes as onSend got them: valid only for identity (buffer, byteOffset), not content. */
  view: Uint8Array;
  copy: Uint8Array;
}

/** `onConnected` runs inside the session's onConnected, as an application's handler would. */
export function rig(options: Partial<SessionOptions> = {}, hooks: { onConnected?: (session: Session) => void } = {}): Rig {
  const sent: string[] = [];
  const log: string[] = [];
  const sendBuffers: ArrayBufferLike[] = [];
  const calls: Sent[] = [];
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
        calls.push({ view: bytes, copy: bytes.slice() });
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
    sends: () => calls.splice(0, calls.length),
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

/** A payload of `n` bytes that is not all one value. */
export function patterned(n: number, seed = 0): Uint8Array {
  const p = new Uint8Array(n);
  for (let i = 0; i < n; i++) p[i] = (i * 31 + seed * 7 + 3) & 0xff;
  return p;
}

/**
 * Checks the onSend calls of one PUBLISH whose payload is over the split threshold: two calls,
 * the header and then `payload` itself (a view of the caller's bytes, not a copy), whose bytes
 * together decode to one PUBLISH carrying that payload and encode back to the same bytes.
 * Returns the packet described, for the suites' cross-engine comparison.
 */
export function checkSplitPublish(t: Check, sends: Sent[], payload: Uint8Array, version: ProtocolVersion, what: string): string {
  t.equal(sends.length, 2, `${what}: onSend calls`);
  const second = sends[sends.length - 1].view;
  t.ok(second.buffer === payload.buffer && second.byteOffset === payload.byteOffset && second.length === payload.length, `${what}: the payload is handed over as it is`);
  let total = 0;
  for (const s of sends) total += s.copy.length;
  const wire = new Uint8Array(total);
  let at = 0;
  for (const s of sends) {
    wire.set(s.copy, at);
    at += s.copy.length;
  }
  const packets: Packet[] = [];
  const decoder = new Decoder({ maxPacketSize: 1 << 20, protocolVersion: version, onPacket: (p) => packets.push(p), onError: (e) => t.ok(false, `${what}: undecodable, ${e.code}`) });
  decoder.push(wire);
  t.equal(packets.length, 1, `${what}: packets decoded`);
  const p = packets[0];
  t.equal(p.type, PacketType.PUBLISH, `${what}: a PUBLISH`);
  if (p.type !== PacketType.PUBLISH) return '';
  t.equal(p.payload.length, payload.length, `${what}: payload length`);
  let same = true;
  for (let i = 0; i < payload.length; i++) if (p.payload[i] !== payload[i]) same = false;
  t.ok(same, `${what}: payload bytes`);
  // The general encoder writes the same bytes for the decoded packet.
  const again = new Uint8Array(encodedLength(p, version));
  encode(p, again, 0, version);
  t.equal(again.length, wire.length, `${what}: length as encode() writes it`);
  let equal = true;
  for (let i = 0; i < wire.length; i++) if (again[i] !== wire[i]) equal = false;
  t.ok(equal, `${what}: bytes as encode() writes them`);
  return `${describePacket(p)} in ${sends[0].copy.length}+${second.length}`;
}
