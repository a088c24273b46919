/**
 * MQTT 3.1.1 and 5.0 client session: a sans-IO state machine. Bytes in (receive), calls in (connect,
 * publish, subscribe...), bytes out (onSend) and events out. Time is passed in; there are no
 * timers inside: call tick(now) at nextDeadline(now) and the session sends PINGREQ or declares
 * the connection dead. The policy above it (client.ts) owns sockets, timers and reconnects.
 *
 * Keepalive (K = keepAlive seconds, 0 disables it):
 * - PINGREQ when nothing was sent for K, or nothing was received for K, with no ping outstanding
 *   (a client publishing only QoS 0 receives nothing, so "idle" must look both ways);
 * - the connection is dead when nothing at all arrived for K + pingTimeout (default K/4): the
 *   PINGREQ went out at K of silence at the latest, and a broker that has not answered it by
 *   then is gone. The broker itself drops a client after 1.5 K [MQTT-3.1.2-24], so a half-open
 *   link is noticed within 1.25 K, with room to spare below that bound for a busy event loop.
 *
 * Acknowledgement timeout (ackTimeout, default 30 s, 0 disables it): MQTT 3.1.1 resends only on
 * a new connection, so a PUBACK/PUBREC/PUBCOMP lost on a link that otherwise stays healthy
 * (pings answered) would hold its window slot forever. When the oldest sent message waits longer
 * than ackTimeout, the connection is declared dead (ACK_TIMEOUT); the reconnect resends it with
 * DUP=1 and the same id.
 *
 * Session state kept across connections (for CleanSession=0 and for an outbox above):
 * outbound QoS 1/2 messages not yet acknowledged (resent with DUP=1 and the same packet id),
 * QoS 2 messages waiting for PUBCOMP (PUBREL resent), inbound QoS 2 ids waiting for PUBREL
 * (delivered once), and the subscription list (sent again when CONNACK says sessionPresent=0).
 *
 * MQTT 5.0 (protocolVersion 5; the 5.0 part lives in ./session-v5): the same state and recovery,
 * plus per connection what CONNACK allows: the send window shrinks to the server's Receive
 * Maximum (messages beyond it wait, already numbered, and go as acknowledgements free slots),
 * packets over the server's Maximum Packet Size are refused locally (PUBLISH_INVALID,
 * PACKET_TOO_LARGE), Server Keep Alive replaces keepAlive, outbound topics get aliases within the
 * server's Topic Alias Maximum, and an Assigned Client Identifier is reused. Inbound: our Receive
 * Maximum is enforced (RECEIVE_MAXIMUM_EXCEEDED), topic aliases resolved (TOPIC_ALIAS_INVALID),
 * properties handed to onMessage. A PUBACK/PUBREC with a reason code >= 0x80 ends the message
 * (onPublishAcked with that code; no PUBREL). A server DISCONNECT closes with SERVER_DISCONNECT
 * and its reason code; a protocol error is answered with a DISCONNECT naming it [MQTT-4.13.1].
 *
 * Payloads passed to publish() are held by reference until acknowledged: do not modify them.
 * Bytes given to onSend and payloads given to onMessage are valid only during the call.
 *
 * Output buffer: packets are encoded into one reused buffer, grown only past the largest packet
 * so far and then kept. A PUBLISH whose payload exceeds SPLIT_PAYLOAD_BYTES is not copied into
 * it: onSend gets the packet's other bytes (fixed header, topic, packet id, 5.0 properties) from
 * the buffer, then, in a second call, the payload itself (the caller's bytes, no copy). So a
 * large telemetry message costs the heap no buffer of its size for the life of the session.
 */
import { encode, encodedLength, HEADER_GROWTH, MAX_REMAINING_LENGTH, publishLength, PUBLISH_TOPIC_AT, validatePacket, withPayloadLength, writePublishAround } from './codec';
import { encodeAliasedPublish } from './codec-v5';
import { Decoder, DEFAULT_MAX_PACKET_SIZE } from './decoder';
import { connackError, connackError5, disconnectReasonFor, protocolError } from './errors';
import { PacketIds } from './packet-ids';
import {
  PacketType,
  type AuthPacket,
  type ConnackPacket,
  type ConnectPacket,
  type DisconnectPacket,
  type Packet,
  type Properties,
  type ProtocolError,
  type ProtocolVersion,
  type PublishPacket,
  type QoS,
  type SubackCode,
  type Subscription,
  type Will,
} from './packets';
import { describeReasonCode } from './reason-codes';
import { SessionV5, type SessionV5Options } from './session-v5';
import { validateTopicFilter } from './topic';
import { TopicCache } from './topic-cache';

export type { EnhancedAuth } from './session-v5';

/** The acknowledgements that carry only a packet id. */
type IdPacketType = typeof PacketType.PUBACK | typeof PacketType.PUBREC | typeof PacketType.PUBREL | typeof PacketType.PUBCOMP;

/**
 * A PUBLISH payload longer than this, bytes, goes to onSend on its own, after the rest of the
 * packet, instead of being copied into the session's output buffer (which would then grow to the
 * largest message and keep that size: 16 KB of the ESP32's 78 KB chunk heap for a 24-sensor,
 * 9 KB telemetry message). Why 768: a PUBLISH up to it with a header of up to 128 bytes (IoT
 * Hub's telemetry topic with its property bag is about 90) fits one SecureSocket write (896 bytes
 * on Moddable's simulator), so the usual messages (3 sensors: 639 bytes of JSON) keep one write,
 * one TLS record and one WebSocket frame; and the buffer stays at 1 KB for publishes with headers
 * up to 249 bytes (256, doubled at most twice). A larger packet needs several writes anyway, so
 * the split adds at most one record (about 30 bytes on the wire), where a copy would cost the
 * heap a buffer of its size for as long as the session lives.
 */
export const SPLIT_PAYLOAD_BYTES = 768;

/** publish() results other than a packet id (> 0) or 0 (QoS 0 sent). */
export const PUBLISH_QUEUED = -1;
/** The in-flight window and the queue behind it are both full; nothing was taken. */
export const PUBLISH_REJECTED = -2;
/** QoS 0 while not connected: at most once means it is dropped. */
export const PUBLISH_DROPPED = -3;
/** The topic is not a valid topic name, or the packet would exceed maxPacketSize. */
export const PUBLISH_INVALID = -4;

export type SessionState = 'disconnected' | 'connecting' | 'connected';

/**
 * Session options. The 5.0 ones (SessionV5Options, ignored in 3.1.1): sessionExpiryInterval
 * (seconds the server keeps the session after the connection; 0xFFFFFFFF never expires; default
 * 0), receiveMaximum (QoS 1/2 PUBLISHes the server may leave unacknowledged towards us, 1..65535,
 * default 65535), topicAliasMaximum (aliases the server may use towards us, default 0),
 * outboundTopicAliases (use the server's aliases for our topics, default true),
 * requestResponseInformation, requestProblemInformation, userProperties (CONNECT), auth
 * (EnhancedAuth hook for the AUTH exchange). In 5.0 cleanSession is Clean Start, and
 * maxIncomingPacketSize (or maxPacketSize) is sent as Maximum Packet Size.
 */
export interface SessionOptions extends SessionV5Options {
  clientId: string;
  /** 4 (MQTT 3.1.1, the default) or 5 (MQTT 5.0). */
  protocolVersion?: ProtocolVersion;
  /** Default true. */
  cleanSession?: boolean;
  /** Seconds, 0..65535; 0 disables keepalive. Default 60. */
  keepAlive?: number;
  will?: Will;
  /** Outbound QoS 1/2 messages unacknowledged at once. Default 10. */
  inflightWindow?: number;
  /** Messages waiting for a window slot. Default 1000. */
  maxQueued?: number;
  /** Largest packet accepted from the broker and sent to it, bytes. Default 257 KiB (IoT Hub's 256 KiB D2C plus headers). */
  maxPacketSize?: number;
  /**
   * Largest packet taken whole from the broker, bytes, when below maxPacketSize (a device's RAM).
   * A PUBLISH over it is read past without buffering its payload and delivered with an empty
   * payload and MessageInfo.oversize set, then acknowledged as usual (so a broker that redelivers
   * unacknowledged messages at every connect, as IoT Hub does C2D, lets it go). Other packets
   * over it are PACKET_TOO_LARGE. Default: maxPacketSize, and no skipping.
   */
  maxIncomingPacketSize?: number;
  /** Milliseconds a sent QoS 1/2 message may wait for its acknowledgement. Default 30000; 0 disables. */
  ackTimeoutMs?: number;
  /** How long a PINGREQ may go unanswered, ms. Default keepAlive / 4. */
  pingTimeoutMs?: number;
}

export interface ConnectCredentials {
  username?: string;
  password?: Uint8Array;
}

export interface PublishOptions {
  qos: QoS;
  retain?: boolean;
  /** Opaque value handed back by onPublishAcked (e.g. an outbox key). */
  token?: unknown;
  /**
   * 5.0 PUBLISH properties: messageExpiryInterval, payloadFormatIndicator, contentType,
   * responseTopic and correlationData (request/response), userProperties. Held by reference
   * like the payload. (The session sets topicAlias itself.) Not read in 3.1.1.
   */
  properties?: Properties;
}

/** Reused for every onMessage call: copy what you keep. */
export interface MessageInfo {
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** 0, or the size in bytes of a PUBLISH over maxIncomingPacketSize (its payload is then empty). */
  oversize: number;
  /** 5.0: the PUBLISH's properties (response topic, correlation data, user properties...), or undefined. */
  properties?: Properties;
}

export type CloseCode =
  | 'DISCONNECTED' // disconnect() was called
  | 'CONNECTION_LOST' // the transport went away (connectionLost)
  | 'KEEPALIVE_TIMEOUT'
  | 'ACK_TIMEOUT' // a sent message waited longer than ackTimeout for its acknowledgement
  | 'PROTOCOL_ERROR'
  | 'CONNACK_REFUSED'
  | 'SERVER_DISCONNECT'; // 5.0: the server sent DISCONNECT (reasonCode says why)

export interface CloseReason {
  code: CloseCode;
  message: string;
  /** For PROTOCOL_ERROR and CONNACK_REFUSED. */
  error?: ProtocolError;
  /** 5.0: the reason code of the server's DISCONNECT or refusing CONNACK. */
  reasonCode?: number;
  /** 5.0: that packet's properties (reason string, server reference, user properties). */
  properties?: Properties;
}

/** Handlers must not throw: an exception would leave the rest of the received chunk undecoded. */
export interface SessionEvents {
  /**
   * Bytes to write to the transport, valid only during the call (copy what is not written at
   * once). Usually one whole packet per call; a PUBLISH with a payload over SPLIT_PAYLOAD_BYTES
   * comes as two consecutive calls, its header and then its payload, with nothing in between.
   */
  onSend(bytes: Uint8Array): void;
  /**
   * CONNACK accepted. By now the session is restored: subscriptions resent (sessionPresent=0),
   * unacknowledged messages resent with DUP, the queue drained into the window; what the handler
   * sends goes after them, once.
   */
  onConnected?(sessionPresent: boolean, properties?: Properties): void;
  onMessage?(topic: string, payload: Uint8Array, info: MessageInfo): void;
  /**
   * QoS 1: PUBACK arrived; QoS 2: PUBCOMP arrived. reasonCode 0 (and always in 3.1.1): delivered;
   * 5.0 0x10: accepted, no subscribers (the PUBACK's, or for QoS 2 the PUBREC's when the PUBCOMP
   * says 0x00); >= 0x80: refused by the server (PUBACK or PUBREC), not delivered and not resent;
   * 0x92: the PUBCOMP's Packet Identifier not found.
   */
  onPublishAcked?(packetId: number, token: unknown, reasonCode: number): void;
  /** SUBACK; also for the automatic resubscription after sessionPresent=0. */
  onSubscribed?(packetId: number, granted: SubackCode[]): void;
  /** UNSUBACK; 5.0 gives a reason code per filter. */
  onUnsubscribed?(packetId: number, reasonCodes?: number[]): void;
  onError?(error: ProtocolError): void;
  /** The connection must end (the owner closes the transport). Once per connect(). */
  onClose?(reason: CloseReason): void;
}

const STAGE_UNSENT = 0; // waiting in the window for the connection (never sent)
/** 5.0: sent on an earlier connection, waiting for a slot under the server's Receive Maximum (resent with DUP). */
const STAGE_WAITING = 3;
const STAGE_PUBLISH = 1; // PUBLISH sent, waiting for PUBACK / PUBREC
const STAGE_PUBREL = 2; // QoS 2: PUBREL sent, waiting for PUBCOMP

interface Outgoing {
  packetId: number;
  topic: string;
  /** The topic's validated UTF-8 bytes (from the topic cache), or undefined for the general path (and 5.0). */
  topicBytes: Uint8Array | undefined;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  token: unknown;
  stage: number;
  /** When the PUBLISH (or, for QoS 2, the PUBREL) was last sent. */
  sentAt: number;
  /** 5.0 properties given to publish(). */
  properties: Properties | undefined;
  /** QoS 2: the PUBREC's reason code (0x00 or 0x10), reported with the PUBCOMP when it says 0x00. */
  pubrecCode: number;
}

interface PendingRequest {
  packetId: number;
  kind: 'subscribe' | 'unsubscribe';
  filters: string[];
}


export class Session {
  private readonly events: SessionEvents;
  private readonly clientId: string;
  private readonly cleanSession: boolean;
  /** The keepAlive option, ms; keepAliveMs is it or, in 5.0, the server's Server Keep Alive. */
  private readonly keepAliveOptionMs: number;
  private readonly pingTimeoutMs: number | undefined;
  private keepAliveMs: number;
  private readonly will: Will | undefined;
  private readonly window: number;
  /** The window for this connection: `window`, or less in 5.0 (the server's Receive Maximum). */
  private sendWindow: number;
  private readonly maxQueued: number;
  private readonly maxPacketSize: number;
  /** Largest packet sent on this connection: maxPacketSize, or less in 5.0 (the server's maximum). */
  private outLimit: number;
  /** What this client accepts, announced in a 5.0 CONNECT as Maximum Packet Size. */
  private readonly inLimit: number;
  private readonly ackTimeoutMs: number;
  /** Silence after which the connection is dead: keepalive plus the ping timeout. */
  private deadAfterMs = 0;
  private readonly version: ProtocolVersion;
  /** The 5.0 state; undefined for 3.1.1. */
  private readonly v5: SessionV5 | undefined;

  private phase: SessionState = 'disconnected';
  private readonly decoder: Decoder;
  private out = new Uint8Array(256);
  private now = 0;
  private lastSent = 0;
  private lastReceived = 0;
  private pingOutstanding = false;
  /**
   * PINGRESPs received so far: a policy above (client.ts) re-arms its timer when this changes,
   * the only reception that can bring nextDeadline() forward.
   */
  pingResponses = 0;

  private readonly ids = new PacketIds();
  private readonly idInUse = (id: number): boolean => this.isIdInUse(id);
  /** In send order; at most `window` entries. */
  private readonly inflight: Outgoing[] = [];
  /** FIFO behind the window, read from queueHead. */
  private queue: (Outgoing | undefined)[] = [];
  private queueHead = 0;
  private readonly spare: Outgoing[] = [];
  /** An empty payload, for Outgoing records not holding a message (per instance: XS makes a module-level typed array read-only at preload). */
  private readonly noBytes = new Uint8Array(0);
  /** One more spare record, taken and given back by the QoS 1 hot path without an array call. */
  private free: Outgoing | undefined;
  /** Inbound QoS 2 packet ids delivered, waiting for PUBREL. */
  private readonly inboundQos2: number[] = [];
  /** Topic filter -> the subscription (QoS, 5.0 options) as the application wants it. */
  private readonly subscriptions = new Map<string, Subscription>();
  /** 5.0: topic filter -> its Subscription Identifier. */
  private readonly subscriptionIds = new Map<string, number>();
  /** Filters whose SUBSCRIBE the broker has not acknowledged yet. */
  private readonly unconfirmed = new Set<string>();
  private readonly pending: PendingRequest[] = [];
  /** UNSUBSCRIBEs to send when a session is present but they were never acknowledged. */
  private readonly unsubscribeLater = new Set<string>();

  // Scratch packets, reused so the steady state allocates no packet objects.
  private readonly publishPacket: PublishPacket = { type: PacketType.PUBLISH, topic: '', payload: new Uint8Array(0), qos: 0, retain: false, dup: false };
  private readonly idPacket: { type: IdPacketType; packetId: number; reasonCode: number | undefined } = { type: PacketType.PUBACK, packetId: 0, reasonCode: undefined };
  private readonly info: MessageInfo = { qos: 0, retain: false, dup: false, oversize: 0, properties: undefined };
  /** PUBLISH topics validated and encoded once (a device publishes to a handful of topics). */
  private readonly topics = new TopicCache(4);
  /** The topic bytes sitting at out[PUBLISH_TOPIC_AT..] since the last PUBLISH, if nothing overwrote them. */
  private outTopic: Uint8Array | undefined;
  /**
   * The largest remaining length publish()'s inlined path may write around outTopic: the packet
   * fits `out`, its remaining length takes at most 2 bytes, and its payload is at most
   * SPLIT_PAYLOAD_BYTES (one comparison there for all three). Set with outTopic (placeTopic).
   */
  private hotRemaining = 0;
  /** The topic of the last QoS 1 publish and its cached bytes: the next one is usually the same. */
  private lastTopic = '';
  private lastTopicBytes: Uint8Array | undefined;
  /**
   * True while a 4-byte PUBACK chunk can be taken without the decoder: connected, 3.1.1 or 5.0,
   * and the decoder between packets. Recomputed after every chunk the decoder takes.
   */
  private fastAck = false;

  constructor(options: SessionOptions, events: SessionEvents) {
    this.events = events;
    this.clientId = options.clientId;
    this.cleanSession = options.cleanSession ?? true;
    this.keepAliveOptionMs = Math.max(0, Math.min(65535, Math.floor(options.keepAlive ?? 60))) * 1000;
    this.pingTimeoutMs = options.pingTimeoutMs;
    this.keepAliveMs = this.keepAliveOptionMs;
    this.setKeepAlive(this.keepAliveOptionMs);
    this.will = options.will;
    this.window = Math.max(1, options.inflightWindow ?? 10);
    this.sendWindow = this.window;
    this.maxQueued = Math.max(0, options.maxQueued ?? 1000);
    this.maxPacketSize = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    this.outLimit = this.maxPacketSize;
    this.ackTimeoutMs = Math.max(0, options.ackTimeoutMs ?? 30_000);
    this.version = options.protocolVersion === 5 ? 5 : 4;
    this.v5 = this.version === 5 ? new SessionV5(options) : undefined;
    // Payloads are views valid during onMessage only: no copy per inbound message.
    const maxIncoming = options.maxIncomingPacketSize;
    this.inLimit = maxIncoming !== undefined && maxIncoming < this.maxPacketSize ? maxIncoming : this.maxPacketSize;
    this.decoder = new Decoder({
      maxPacketSize: this.inLimit,
      // 5.0 announces the limit instead: a server must not send more [MQTT-3.1.2-24].
      skipOversizedPublish: maxIncoming !== undefined && maxIncoming < this.maxPacketSize,
      protocolVersion: this.version,
      copyPayload: false,
      onPacket: (packet) => this.handle(packet),
      onError: (error) => this.fail(error),
    });
  }

  get state(): SessionState {
    return this.phase;
  }
  /** Outbound QoS 1/2 messages holding a packet id (sent or waiting for the connection). */
  get inflightCount(): number {
    return this.inflight.length;
  }
  get queuedCount(): number {
    return this.queue.length - this.queueHead;
  }
  /** True when publish() would send at once instead of queueing. */
  get canSend(): boolean {
    return this.phase === 'connected' && this.inflight.length < this.sendWindow && this.queuedCount === 0;
  }
  /** Bytes of the reused output buffer (it grows past the largest non-split packet so far). */
  get outBufferBytes(): number {
    return this.out.length;
  }
  /** 4 or 5. */
  get protocolVersion(): ProtocolVersion {
    return this.version;
  }
  /** Seconds of keep alive in force: the option, or the 5.0 server's Server Keep Alive. */
  get keepAlive(): number {
    return this.keepAliveMs / 1000;
  }
  /** 5.0: the client id the server assigned (for an empty clientId), or ''. */
  get assignedClientIdentifier(): string {
    return this.v5?.assignedClientIdentifier ?? '';
  }

  private setKeepAlive(ms: number): void {
    this.keepAliveMs = ms;
    this.deadAfterMs = ms + Math.max(0, Math.min(ms / 2, this.pingTimeoutMs ?? ms / 4));
  }

  /**
   * Starts a connection over a transport that just opened: sends CONNECT. Credentials are taken
   * per connection so a renewed password (SAS token) needs no new session.
   */
  connect(credentials: ConnectCredentials, nowMs: number): void {
    if (this.phase !== 'disconnected') this.close('CONNECTION_LOST', 'connect() while a connection was active');
    this.now = nowMs;
    this.phase = 'connecting';
    this.fastAck = false;
    this.lastReceived = nowMs;
    this.pingOutstanding = false;
    this.decoder.reset();
    this.decoder.protocolVersion = this.version;
    this.setKeepAlive(this.keepAliveOptionMs);
    this.sendWindow = this.window;
    this.outLimit = this.maxPacketSize;
    const packet: ConnectPacket = {
      type: PacketType.CONNECT,
      clientId: this.clientId,
      cleanSession: this.cleanSession,
      keepAlive: this.keepAliveMs / 1000,
      will: this.will,
      username: credentials.username,
      password: credentials.password,
    };
    const v5 = this.v5;
    if (v5) {
      packet.protocolVersion = 5;
      // A persistent session with a server-assigned id reconnects under that id.
      if (packet.clientId === '' && v5.assignedClientIdentifier !== '') packet.clientId = v5.assignedClientIdentifier;
      const properties = v5.connectProperties(this.inLimit);
      if (properties) packet.properties = properties;
    }
    const error = validatePacket(packet);
    if (error) {
      this.fail(error);
      return;
    }
    this.send(packet);
  }

  /** Bytes from the transport. */
  receive(chunk: Uint8Array, nowMs: number): void {
    // A chunk that is exactly one PUBACK (40 02 id id: the same bytes in 3.1.1 and 5.0, Success)
    // at a packet boundary, the usual reply to a device's PUBLISH, is acknowledged without the
    // general decoder: a third of the publish path's XS computrons (bench/mqtt-session.ts).
    if (this.fastAck && chunk.length === 4 && chunk[0] === 0x40 && chunk[1] === 2) {
      const id = (chunk[2] << 8) | chunk[3];
      const inflight = this.inflight;
      const m = inflight[0]; // undefined when nothing is in flight
      // The oldest message (never id 0), in 3.1.1 with nothing queued: done here, as
      // acknowledged() would. `now` is read by nothing this path runs.
      if (m !== undefined && m.packetId === id && m.stage === STAGE_PUBLISH && m.qos === 1 && this.v5 === undefined && this.queueHead === this.queue.length) {
        this.lastReceived = nowMs;
        if (inflight.length === 1) inflight.length = 0;
        else inflight.shift();
        const token = m.token;
        m.payload = this.noBytes; // drop the references to the caller's bytes and token
        m.token = undefined;
        if (this.free === undefined) this.free = m;
        else this.spare.push(m);
        this.events.onPublishAcked?.(id, token, 0);
        return;
      }
      if (id !== 0) {
        this.now = nowMs;
        this.lastReceived = nowMs;
        this.acknowledged(id, 1, STAGE_PUBLISH, 0);
        return;
      }
    }
    if (this.phase === 'disconnected') return;
    this.now = nowMs;
    this.lastReceived = nowMs;
    // Several PUBACKs in one chunk, and 5.0's 40 03 id id rc with rc 0x00 or 0x10 No matching
    // subscribers (what mosquitto and Event Grid answer a topic nobody subscribes to): also
    // without the decoder. The first other bytes go to the decoder, with the rest of the chunk.
    if (this.fastAck && chunk[0] === 0x40 && chunk.length > 4) {
      const at = this.pubacks(chunk);
      if (this.phase !== 'connected') return; // a callback ended the connection: the rest is moot
      if (at === chunk.length) return;
      if (at > 0) chunk = chunk.subarray(at);
    }
    this.decoder.push(chunk);
    this.fastAck = this.phase === 'connected' && this.decoder.atPacketStart;
  }

  /** Acknowledges the complete PUBACKs that start `chunk` (see receive); returns where they end. */
  private pubacks(chunk: Uint8Array): number {
    const n = chunk.length;
    let at = 0;
    while (at + 4 <= n && chunk[at] === 0x40 && this.phase === 'connected') {
      const length = chunk[at + 1];
      let reasonCode = 0;
      if (length === 3 && this.v5 && at + 5 <= n) {
        reasonCode = chunk[at + 4];
        if (reasonCode !== 0 && reasonCode !== 0x10) break;
      } else if (length !== 2) break;
      const id = (chunk[at + 2] << 8) | chunk[at + 3];
      if (id === 0) break;
      at += 2 + length;
      this.acknowledged(id, 1, STAGE_PUBLISH, reasonCode);
    }
    return at;
  }

  /** The transport closed under us. Emits onClose unless the session already ended the connection. */
  connectionLost(message: string, nowMs: number): void {
    this.now = nowMs;
    if (this.phase !== 'disconnected') this.close('CONNECTION_LOST', message);
  }

  /**
   * Sends DISCONNECT and ends the connection; the session state is kept. 5.0: reasonCode 0x00
   * (default: no will) or 0x04 Disconnect with Will Message, and properties, e.g. a new
   * sessionExpiryInterval (not from 0 to non-zero [MQTT-3.14.2-2]) or a reasonString.
   */
  disconnect(nowMs: number, reasonCode = 0, properties?: Properties): void {
    this.now = nowMs;
    if (this.phase === 'disconnected') return;
    const packet: DisconnectPacket = { type: PacketType.DISCONNECT };
    if (this.v5) {
      packet.reasonCode = reasonCode;
      if (properties) packet.properties = properties;
    }
    this.send(packet);
    this.close('DISCONNECTED', 'disconnected by the client');
  }

  /** 5.0: starts a re-authentication (AUTH 0x19) with the EnhancedAuth hook; false without one or when not connected. */
  reauthenticate(nowMs: number): boolean {
    this.now = nowMs;
    const auth = this.phase === 'connected' ? this.v5?.reauthenticate() : undefined;
    if (!auth) return false;
    return this.send(auth);
  }

  /**
   * Publishes. Returns the packet id (QoS 1/2, sent now or waiting for the connection), 0 (QoS 0
   * sent), PUBLISH_QUEUED (window full: queued, its id is assigned when it is sent; watch the
   * token in onPublishAcked), PUBLISH_REJECTED, PUBLISH_DROPPED or PUBLISH_INVALID.
   */
  publish(topic: string, payload: Uint8Array, options: PublishOptions, nowMs: number): number {
    this.now = nowMs;
    // The general path, unless this is a device's every message: 3.1.1, QoS 1, sent at once.
    const inflight = this.inflight;
    if (options.qos !== 1 || this.v5 !== undefined || inflight.length >= this.sendWindow || this.queueHead !== this.queue.length) {
      return this.publishAny(topic, payload, options);
    }
    // Below: the general path's checks and state with fewer calls (each costs XS ~15 computrons
    // plus ~5 per argument; bench/mqtt-session.ts measures the whole path). The topic's bytes
    // come from the topic cache, the last one without a lookup.
    let topicBytes = this.lastTopicBytes;
    if (topic !== this.lastTopic) {
      topicBytes = this.topics.bytes(topic);
      // Not a valid topic name: the general path names the error.
      if (topicBytes === undefined) return this.publishAny(topic, payload, options);
      this.lastTopic = topic;
      this.lastTopicBytes = topicBytes;
    }
    // publishLength() inlined: 2 + topic + packet id + payload, and the fixed header.
    const remaining = 4 + (topicBytes as Uint8Array).length + payload.length;
    const total = remaining + (remaining < 128 ? 2 : remaining < 16_384 ? 3 : remaining < 2_097_152 ? 4 : 5);
    // Too large: the general path refuses it.
    if (total > this.outLimit || remaining > MAX_REMAINING_LENGTH) return this.publishAny(topic, payload, options);
    const retain = options.retain === true;
    // A spare's properties are undefined: 3.1.1 never sets them.
    let m = this.free;
    if (m !== undefined) this.free = undefined;
    else m = this.spare.pop() ?? { packetId: 0, topic, topicBytes, payload, qos: 1, retain, token: undefined, stage: STAGE_UNSENT, sentAt: 0, properties: undefined, pubrecCode: 0 };
    m.topic = topic;
    m.topicBytes = topicBytes;
    m.payload = payload;
    m.qos = 1;
    m.retain = retain;
    m.token = options.token;
    let id: number;
    if (inflight.length === 0 && this.pending.length === 0) {
      // PacketIds.advance() inlined: nothing in flight and no request pending, any next id is free.
      const ids = this.ids;
      id = ids.last === 65535 ? 1 : ids.last + 1;
      ids.last = id;
    } else id = this.ids.next(this.idInUse);
    m.packetId = id;
    inflight[inflight.length] = m;
    if (this.phase !== 'connected') {
      m.stage = STAGE_UNSENT;
      return id;
    }
    const out = this.out;
    if (this.outTopic !== topicBytes || remaining > this.hotRemaining) {
      this.sendPublish(m, false, total);
      return id;
    }
    // sendPublish() and writePublishAround() inlined for the usual message: the topic already in
    // place after the previous one, a remaining length of 1 or 2 bytes (MQTT 3.1.1 section 2.2.3).
    m.stage = STAGE_PUBLISH;
    m.sentAt = nowMs;
    const idAt = PUBLISH_TOPIC_AT + (topicBytes as Uint8Array).length;
    out[idAt] = id >> 8;
    out[idAt + 1] = id & 0xff;
    out.set(payload, idAt + 2);
    let start = PUBLISH_TOPIC_AT - 4;
    if (remaining < 128) {
      out[start + 1] = remaining;
    } else {
      start--;
      out[start + 1] = (remaining & 0x7f) | 0x80;
      out[start + 2] = remaining >> 7;
    }
    out[start] = retain ? 0x33 : 0x32;
    this.lastSent = nowMs;
    this.events.onSend(out.subarray(start, start + total));
    return id;
  }

  /** publish() for every message the hot path above does not take. */
  private publishAny(topic: string, payload: Uint8Array, options: PublishOptions): number {
    const qos = options.qos;
    const retain = options.retain === true;
    if (qos !== 0 && qos !== 1 && qos !== 2) {
      this.events.onError?.(protocolError('INVALID_QOS', `QoS ${String(qos)} is not 0, 1 or 2`));
      return PUBLISH_INVALID;
    }
    // Read only in 5.0: a missing property costs XS a prototype walk on the 3.1.1 hot path.
    let properties: Properties | undefined;
    if (this.v5) {
      properties = options.properties;
      const refused = this.phase === 'connected' ? this.v5.refusePublish(qos, retain) : undefined;
      if (refused) {
        this.events.onError?.(refused);
        return PUBLISH_INVALID;
      }
    }
    // The topic is checked once, by measuring the packet (the codec names what is wrong).
    if (qos === 0) {
      if (this.phase !== 'connected') return PUBLISH_DROPPED;
      const p = this.publishPacket;
      p.topic = topic;
      p.payload = payload;
      p.qos = 0;
      p.retain = retain;
      p.dup = false;
      p.packetId = undefined;
      p.properties = properties;
      const length = encodedLength(p, this.version);
      if (length < 0 || length > this.outLimit) return this.invalid(p, length);
      if (this.v5) this.sendAliased(p, topic, properties);
      else this.sendPublishMeasured(p, length);
      return 0;
    }
    const m = this.spare.pop() ?? { packetId: 0, topic: '', topicBytes: undefined, payload, qos, retain, token: undefined, stage: STAGE_UNSENT, sentAt: 0, properties: undefined, pubrecCode: 0 };
    m.properties = properties;
    m.topic = topic;
    m.payload = payload;
    m.qos = qos;
    m.retain = retain;
    m.token = options.token;
    m.stage = STAGE_UNSENT;
    m.packetId = 0;
    const inflight = this.inflight;
    if (inflight.length < this.sendWindow && this.queueHead === this.queue.length) {
      const length = this.encodedPublishLength(m);
      if (length < 0 || length > this.outLimit) {
        this.spare.push(m);
        return this.invalid(this.publishPacket, length);
      }
      // nextPacketId() inlined: with nothing in flight and no request pending any next id is free.
      const id = inflight.length === 0 && this.pending.length === 0 ? this.ids.advance() : this.ids.next(this.idInUse);
      m.packetId = id;
      inflight.push(m);
      if (this.phase === 'connected') this.sendPublish(m, false, length);
      return id;
    }
    if (this.queuedCount >= this.maxQueued) {
      this.spare.push(m);
      return PUBLISH_REJECTED;
    }
    const length = this.encodedPublishLength(m);
    if (length < 0 || length > this.outLimit) {
      this.spare.push(m);
      return this.invalid(this.publishPacket, length);
    }
    this.queue.push(m);
    return PUBLISH_QUEUED;
  }

  /**
   * Subscribes. Returns the SUBSCRIBE packet id, 0 when not connected (sent on connect), or -1
   * when a filter is invalid (onError says which). The filters are remembered, with their 5.0
   * options (noLocal, retainAsPublished, retainHandling) and Subscription Identifier, for
   * resubscription. 5.0: `subscriptionIdentifier` (1..268,435,455) comes back in the
   * MessageInfo.properties of the messages this subscription matches.
   */
  subscribe(subscriptions: Subscription[], nowMs: number, subscriptionIdentifier?: number): number {
    this.now = nowMs;
    for (const s of subscriptions) {
      const error = validateTopicFilter(s.topicFilter) ?? (s.qos === 0 || s.qos === 1 || s.qos === 2 ? undefined : protocolError('INVALID_QOS', `QoS ${String(s.qos)} is not 0, 1 or 2`));
      if (error) {
        this.events.onError?.(error);
        return -1;
      }
    }
    if (subscriptionIdentifier !== undefined && (!this.v5 || !(subscriptionIdentifier >= 1 && subscriptionIdentifier <= 268_435_455))) {
      this.events.onError?.(protocolError('INVALID_PROPERTY', `Subscription Identifier ${subscriptionIdentifier} needs MQTT 5.0 and 1..268435455`));
      return -1;
    }
    if (subscriptions.length === 0) return -1;
    for (const s of subscriptions) {
      this.subscriptions.set(s.topicFilter, s);
      if (subscriptionIdentifier !== undefined) this.subscriptionIds.set(s.topicFilter, subscriptionIdentifier);
      else this.subscriptionIds.delete(s.topicFilter);
      this.unconfirmed.add(s.topicFilter);
      this.unsubscribeLater.delete(s.topicFilter);
    }
    if (this.phase !== 'connected') return 0;
    return this.sendSubscribe(subscriptions.map((s) => s.topicFilter));
  }

  /** Unsubscribes. Returns the UNSUBSCRIBE packet id, 0 when not connected (sent on connect), or -1. */
  unsubscribe(topicFilters: string[], nowMs: number): number {
    this.now = nowMs;
    for (const f of topicFilters) {
      const error = validateTopicFilter(f);
      if (error) {
        this.events.onError?.(error);
        return -1;
      }
    }
    if (topicFilters.length === 0) return -1;
    for (const f of topicFilters) {
      this.subscriptions.delete(f);
      this.subscriptionIds.delete(f);
      this.unconfirmed.delete(f);
      this.unsubscribeLater.add(f);
    }
    if (this.phase !== 'connected') return 0;
    return this.sendRequest('unsubscribe', topicFilters.slice());
  }

  /** Keepalive and acknowledgement timeout: sends PINGREQ or declares the connection dead. Call at nextDeadline(). */
  tick(nowMs: number): void {
    this.now = nowMs;
    if (this.phase !== 'connected') return;
    const oldest = this.oldestSentAt();
    if (this.ackTimeoutMs > 0 && nowMs - oldest >= this.ackTimeoutMs) {
      this.close('ACK_TIMEOUT', `no acknowledgement for ${nowMs - oldest} ms (ackTimeout ${this.ackTimeoutMs} ms)`);
      return;
    }
    if (this.keepAliveMs === 0) return;
    if (nowMs - this.lastReceived >= this.deadAfterMs) {
      this.close('KEEPALIVE_TIMEOUT', `nothing received for ${nowMs - this.lastReceived} ms (keepalive ${this.keepAliveMs / 1000} s)`);
      return;
    }
    if (!this.pingOutstanding && (nowMs - this.lastSent >= this.keepAliveMs || nowMs - this.lastReceived >= this.keepAliveMs)) {
      this.pingOutstanding = true;
      this.send({ type: PacketType.PINGREQ });
    }
  }

  /** When tick() has work to do next (absolute ms), or undefined when it has none. */
  nextDeadline(): number | undefined {
    if (this.phase !== 'connected') return undefined;
    const ack = this.ackTimeoutMs > 0 ? this.oldestSentAt() + this.ackTimeoutMs : Infinity;
    if (this.keepAliveMs === 0) return ack === Infinity ? undefined : ack;
    const dead = Math.min(ack, this.lastReceived + this.deadAfterMs);
    if (this.pingOutstanding) return dead;
    return Math.min(dead, this.lastSent + this.keepAliveMs, this.lastReceived + this.keepAliveMs);
  }

  /** Send time of the oldest message waiting for an acknowledgement; Infinity when none. */
  private oldestSentAt(): number {
    let oldest = Infinity;
    const inflight = this.inflight;
    for (let i = 0; i < inflight.length; i++) {
      const m = inflight[i];
      if (m.stage !== STAGE_UNSENT && m.sentAt < oldest) oldest = m.sentAt;
    }
    return oldest;
  }

  /** Forgets every unacknowledged message (e.g. the application gives up on them). */
  clearOutgoing(): void {
    this.inflight.length = 0;
    this.queue = [];
    this.queueHead = 0;
  }

  // ---- inbound --------------------------------------------------------------------------

  private handle(packet: Packet): void {
    if (this.phase === 'connecting') {
      this.handleConnecting(packet);
      return;
    }
    if (this.phase !== 'connected') return;
    switch (packet.type) {
      case PacketType.PUBLISH:
        this.onPublish(packet);
        return;
      case PacketType.PUBACK:
        this.acknowledged(packet.packetId, 1, STAGE_PUBLISH, packet.reasonCode ?? 0);
        return;
      case PacketType.PUBREC: {
        const code = packet.reasonCode ?? 0;
        // 5.0: a PUBREC refusing the message ends its flow; no PUBREL [MQTT-4.3.3-4].
        if (code >= 0x80) {
          this.acknowledged(packet.packetId, 2, STAGE_PUBLISH, code);
          return;
        }
        const m = this.find(packet.packetId);
        if (m && m.qos === 2 && m.stage === STAGE_PUBLISH) {
          m.stage = STAGE_PUBREL;
          m.sentAt = this.now;
          m.pubrecCode = code;
        }
        // An unknown id still gets its PUBREL, so the broker can finish its side (5.0 says why).
        this.sendId(PacketType.PUBREL, packet.packetId, m ? 0 : 0x92);
        return;
      }
      case PacketType.PUBREL: {
        const i = this.inboundQos2.indexOf(packet.packetId);
        if (i >= 0) this.inboundQos2.splice(i, 1);
        this.sendId(PacketType.PUBCOMP, packet.packetId, i >= 0 ? 0 : 0x92);
        return;
      }
      case PacketType.PUBCOMP: {
        // 5.0: a PUBCOMP 0x00 passes on the PUBREC's 0x10 No matching subscribers, as a PUBACK would.
        const code = packet.reasonCode ?? 0;
        const m = code === 0 ? this.find(packet.packetId) : undefined;
        this.acknowledged(packet.packetId, 2, STAGE_PUBREL, m && m.qos === 2 && m.stage === STAGE_PUBREL ? m.pubrecCode : code);
        return;
      }
      case PacketType.SUBACK: {
        const request = this.takePending(packet.packetId, 'subscribe');
        if (!request) return;
        request.filters.forEach((f, i) => {
          this.unconfirmed.delete(f);
          // A refused filter (0x80 and up) is forgotten: resubscribing would only be refused again.
          if (packet.granted[i] >= 0x80) this.subscriptions.delete(f);
        });
        this.events.onSubscribed?.(packet.packetId, packet.granted);
        return;
      }
      case PacketType.UNSUBACK: {
        const request = this.takePending(packet.packetId, 'unsubscribe');
        if (!request) return;
        for (const f of request.filters) this.unsubscribeLater.delete(f);
        this.events.onUnsubscribed?.(packet.packetId, packet.reasonCodes);
        return;
      }
      case PacketType.PINGRESP:
        this.pingOutstanding = false;
        this.pingResponses++;
        return;
      case PacketType.DISCONNECT:
        if (this.v5) {
          this.serverDisconnect(packet);
          return;
        }
        break;
      case PacketType.AUTH:
        this.onAuth(packet);
        return;
      case PacketType.CONNACK:
        // mosquitto 2.0.11 refuses a re-authentication with a CONNACK (0x87 ...) where 5.0 section
        // 4.12.1 has a DISCONNECT: taken as that DISCONNECT, so its reason reaches the policy.
        if (this.v5?.authenticating && packet.returnCode >= 0x80) {
          this.serverDisconnect(packet);
          return;
        }
        break;
      default:
        break;
    }
    this.fail(protocolError('UNEXPECTED_PACKET', `a client does not accept packet type ${packet.type}`));
  }

  /** CONNACK (or, 5.0, an AUTH exchange before it, or a DISCONNECT refusing us). */
  private handleConnecting(packet: Packet): void {
    if (this.v5 && packet.type === PacketType.AUTH && this.v5.authenticating) {
      this.onAuth(packet);
      return;
    }
    if (this.v5 && packet.type === PacketType.DISCONNECT) {
      this.serverDisconnect(packet);
      return;
    }
    if (packet.type !== PacketType.CONNACK) {
      this.fail(protocolError('UNEXPECTED_PACKET', `packet type ${packet.type} before CONNACK`));
      return;
    }
    const refused = this.v5 ? connackError5(packet.returnCode, packet.properties?.reasonString) : connackError(packet.returnCode);
    if (refused) {
      this.events.onError?.(refused);
      this.close('CONNACK_REFUSED', refused.message, refused, this.v5 ? packet : undefined);
      return;
    }
    if (this.v5) {
      const error = this.v5.connack(packet);
      if (error) {
        this.fail(error);
        return;
      }
      this.applyServerLimits(this.v5);
    }
    this.phase = 'connected';
    this.onConnack(packet.sessionPresent, packet);
  }

  /** 5.0: what the CONNACK allows for this connection. */
  private applyServerLimits(v5: SessionV5): void {
    this.sendWindow = Math.min(this.window, v5.serverReceiveMaximum);
    this.outLimit = Math.min(this.maxPacketSize, v5.serverMaximumPacketSize);
    if (v5.serverKeepAlive >= 0) this.setKeepAlive(v5.serverKeepAlive * 1000);
  }

  /**
   * 5.0: the server ends the connection and says why (a DISCONNECT, or the CONNACK that refuses a
   * re-authentication); the application and the policy hear it.
   */
  private serverDisconnect(packet: DisconnectPacket | ConnackPacket): void {
    const code = packet.type === PacketType.CONNACK ? packet.returnCode : (packet.reasonCode ?? 0);
    const reason = packet.properties?.reasonString;
    this.close('SERVER_DISCONNECT', `the server disconnected: ${describeReasonCode(code)}${reason ? ` (${reason})` : ''}`, undefined, packet);
  }

  /** 5.0 AUTH: answered through the EnhancedAuth hook. */
  private onAuth(packet: AuthPacket): void {
    const answer = this.v5 ? this.v5.onAuth(packet) : protocolError('UNEXPECTED_PACKET', 'AUTH in MQTT 3.1.1');
    if (answer === 'done') return;
    if ('type' in answer) {
      this.send(answer);
      return;
    }
    this.fail(answer);
  }

  private onConnack(sessionPresent: boolean, connack: ConnackPacket): void {
    // Replies for requests of the previous connection will never come.
    this.pending.length = 0;
    if (!sessionPresent) this.inboundQos2.length = 0;
    this.lastSent = this.now;
    // The session is restored before the application hears of the connection: what its
    // onConnected sends then goes once, after the resends. (Told first, a PUBLISH it made there
    // was sent, then resent with DUP below; a SUBSCRIBE likewise went twice.)
    // Without a session the broker forgot our subscriptions: send them all again.
    const filters: string[] = [];
    for (const f of this.subscriptions.keys()) if (!sessionPresent || this.unconfirmed.has(f)) filters.push(f);
    if (filters.length > 0) this.sendSubscribe(filters);
    if (sessionPresent && this.unsubscribeLater.size > 0) this.sendRequest('unsubscribe', Array.from(this.unsubscribeLater));
    if (!sessionPresent) this.unsubscribeLater.clear();
    // Unacknowledged messages first, in their original order and with their ids; in 5.0 only as
    // many as the server's Receive Maximum allows, the rest as acknowledgements free slots.
    let active = 0;
    for (const m of this.inflight) {
      if (this.phase !== 'connected') return;
      if (m.stage === STAGE_PUBREL) {
        m.sentAt = this.now;
        this.sendId(PacketType.PUBREL, m.packetId);
        active++;
      } else if (active < this.sendWindow) {
        this.sendPublish(m, m.stage === STAGE_PUBLISH || m.stage === STAGE_WAITING);
        active++;
      } else if (m.stage === STAGE_PUBLISH) {
        m.stage = STAGE_WAITING;
        m.sentAt = Infinity; // not in flight: no acknowledgement timeout
      }
    }
    this.drainQueue();
    if (this.phase === 'connected') this.events.onConnected?.(sessionPresent, connack.properties);
  }

  private onPublish(p: PublishPacket): void {
    const info = this.info;
    info.qos = p.qos;
    info.retain = p.retain;
    info.dup = p.dup;
    info.oversize = p.oversize ?? 0;
    info.properties = p.properties;
    if (this.v5) {
      const error = this.v5.resolveInbound(p);
      if (error) {
        this.fail(error);
        return;
      }
    }
    if (p.qos === 0) {
      this.events.onMessage?.(p.topic, p.payload, info);
    } else if (p.qos === 1) {
      this.events.onMessage?.(p.topic, p.payload, info);
      if (this.phase === 'connected') this.sendId(PacketType.PUBACK, p.packetId ?? 0);
    } else {
      const id = p.packetId ?? 0;
      // Deliver once: a resent PUBLISH for an id still waiting for PUBREL is only acknowledged.
      if (this.inboundQos2.indexOf(id) < 0) {
        // 5.0: the server may have at most our Receive Maximum unacknowledged [MQTT-3.3.4-9].
        if (this.v5 && this.inboundQos2.length >= this.v5.receiveMaximum) {
          this.fail(protocolError('RECEIVE_MAXIMUM_EXCEEDED', `a QoS 2 PUBLISH beyond the Receive Maximum of ${this.v5.receiveMaximum}`));
          return;
        }
        this.inboundQos2.push(id);
        this.events.onMessage?.(p.topic, p.payload, info);
      }
      if (this.phase === 'connected') this.sendId(PacketType.PUBREC, id);
    }
  }

  private acknowledged(packetId: number, qos: QoS, stage: number, reasonCode: number): void {
    const inflight = this.inflight;
    // The oldest is the usual one: looked at without a call.
    const i = inflight.length > 0 && inflight[0].packetId === packetId ? 0 : this.indexOf(packetId);
    if (i < 0) return; // late or duplicate acknowledgement
    const m = inflight[i];
    if (m.qos !== qos || (m.stage !== stage && !(qos === 2 && m.stage === STAGE_PUBLISH))) return;
    inflight.splice(i, 1);
    const token = m.token;
    m.payload = this.publishPacket.payload; // drop the reference to the caller's bytes
    m.token = undefined;
    // Before the callback: a publish from it takes m from spare, with its own properties.
    m.properties = undefined;
    this.spare.push(m);
    this.events.onPublishAcked?.(packetId, token, reasonCode);
    if (this.v5) this.sendWaiting();
    if (this.queueHead < this.queue.length) this.drainQueue();
  }

  // ---- outbound -------------------------------------------------------------------------

  /** 5.0: numbered messages that waited for a window slot (the server's Receive Maximum shrank it). */
  private sendWaiting(): void {
    if (!this.v5 || this.phase !== 'connected') return;
    // Indexed loops: for-of allocates an iterator per call in XS, and this runs per acknowledgement.
    const inflight = this.inflight;
    let active = 0;
    let waiting = 0;
    for (let i = 0; i < inflight.length; i++) {
      const stage = inflight[i].stage;
      if (stage === STAGE_PUBLISH || stage === STAGE_PUBREL) active++;
      else if (stage === STAGE_UNSENT || stage === STAGE_WAITING) waiting++;
    }
    if (waiting === 0) return;
    for (let i = 0; i < inflight.length; i++) {
      const m = inflight[i];
      if (active >= this.sendWindow || this.phase !== 'connected') return;
      if (m.stage === STAGE_UNSENT || m.stage === STAGE_WAITING) {
        this.sendPublish(m, m.stage === STAGE_WAITING);
        active++;
      }
    }
  }

  private drainQueue(): void {
    while (this.phase === 'connected' && this.inflight.length < this.sendWindow && this.queueHead < this.queue.length) {
      const m = this.queue[this.queueHead] as Outgoing;
      this.queue[this.queueHead++] = undefined; // release the slot's reference
      if (this.queueHead === this.queue.length) {
        this.queue.length = 0;
        this.queueHead = 0;
      } else if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      m.packetId = this.nextPacketId();
      this.inflight.push(m);
      this.sendPublish(m, false);
    }
  }

  /**
   * Sends (or resends, with DUP) a numbered message. `length`, when
   * known, spares measuring the packet again (it does not depend on id or DUP; 3.1.1 only, as a
   * 5.0 topic alias changes it).
   */
  private sendPublish(m: Outgoing, dup: boolean, length = -1): void {
    m.stage = STAGE_PUBLISH;
    m.sentAt = this.now;
    const topic = m.topicBytes;
    if (topic !== undefined && this.v5 === undefined) {
      // The hot path: the topic was validated and encoded once, by the topic cache; the header
      // is written from the message's fields (no packet object to fill).
      const payload = m.payload;
      if (payload.length > SPLIT_PAYLOAD_BYTES) {
        this.sendAround(topic, 0x30 | (dup ? 8 : 0) | (m.qos << 1) | (m.retain ? 1 : 0), m.packetId, payload);
        return;
      }
      const total = length > 0 ? length : publishLength(topic.length, m.qos, payload.length);
      let out = this.out;
      if (PUBLISH_TOPIC_AT + total > out.length) {
        this.reserve(PUBLISH_TOPIC_AT + total);
        out = this.out;
      }
      if (this.outTopic !== topic) this.placeTopic(topic);
      const start = writePublishAround(out, PUBLISH_TOPIC_AT, topic.length, 0x30 | (dup ? 8 : 0) | (m.qos << 1) | (m.retain ? 1 : 0), m.packetId, payload);
      this.lastSent = this.now;
      this.events.onSend(out.subarray(start, start + total));
      return;
    }
    const p = this.publishPacket;
    p.topic = m.topic;
    p.payload = m.payload;
    p.qos = m.qos;
    p.retain = m.retain;
    p.dup = dup;
    p.packetId = m.packetId;
    if (this.v5) {
      this.sendAliased(p, m.topic, m.properties, topic);
    } else if (length > 0) this.sendPublishMeasured(p, length);
    else this.sendPublishPacket(p);
  }

  /**
   * 3.1.1, a payload over SPLIT_PAYLOAD_BYTES: the header written around the cached topic bytes
   * (as the hot path does), then the payload in its own onSend call, not copied.
   */
  private sendAround(topic: Uint8Array, first: number, id: number, payload: Uint8Array): void {
    const end = PUBLISH_TOPIC_AT + topic.length + ((first & 6) !== 0 ? 2 : 0);
    this.reserve(end);
    if (this.outTopic !== topic) this.placeTopic(topic);
    const out = this.out;
    // Written for an empty payload, then lengthened: the fixed header ends at the topic's
    // length prefix, PUBLISH_TOPIC_AT - 2, which leaves room for the longest one.
    this.sendHeadThenPayload(writePublishAround(out, PUBLISH_TOPIC_AT, topic.length, first, id, this.noBytes), end, payload);
  }

  /** Writes the topic's bytes at out[PUBLISH_TOPIC_AT..], where the next PUBLISH to it finds them. */
  private placeTopic(topic: Uint8Array): void {
    const out = this.out;
    out.set(topic, PUBLISH_TOPIC_AT);
    this.outTopic = topic;
    // The packet ends at PUBLISH_TOPIC_AT - 2 + remaining (the topic's length prefix starts it).
    this.hotRemaining = Math.min(16_383, out.length - PUBLISH_TOPIC_AT + 2, 4 + topic.length + SPLIT_PAYLOAD_BYTES);
  }

  /** The header encoded at out[at..end) for an empty payload: lengthened for `payload`, sent, then the payload. */
  private sendHeadThenPayload(at: number, end: number, payload: Uint8Array): void {
    const out = this.out;
    const start = withPayloadLength(out, at, payload.length);
    this.lastSent = this.now;
    this.events.onSend(out.subarray(start, end));
    this.events.onSend(payload);
  }

  /** A PUBLISH packet by the general encoder: measured, then sent whole or split (sendPublishMeasured). */
  private sendPublishPacket(p: PublishPacket): boolean {
    const length = encodedLength(p, this.version);
    if (length < 0) return this.send(p); // names the error
    this.sendPublishMeasured(p, length);
    return true;
  }

  /**
   * A measured PUBLISH by the general encoder; with a payload over SPLIT_PAYLOAD_BYTES, encoded
   * without it (HEADER_GROWTH bytes in, for the longer remaining length) and sent in two calls.
   */
  private sendPublishMeasured(p: PublishPacket, length: number): void {
    const payload = p.payload;
    if (payload.length <= SPLIT_PAYLOAD_BYTES) {
      this.sendMeasured(p, length);
      return;
    }
    this.reserve(HEADER_GROWTH + length - payload.length);
    this.outTopic = undefined; // written over
    p.payload = this.noBytes;
    const n = encode(p, this.out, HEADER_GROWTH, this.version);
    p.payload = payload;
    this.sendHeadThenPayload(HEADER_GROWTH, HEADER_GROWTH + n, payload);
  }

  /**
   * 5.0: a PUBLISH with `properties` and this connection's topic alias for `topic`. Without
   * properties of its own it takes the codec's one-pass hot path (encodeAliasedPublish).
   */
  private sendAliased(p: PublishPacket, topic: string, properties: Properties | undefined, topicBytes?: Uint8Array): void {
    (this.v5 as SessionV5).applyOutboundAlias(p, topic, properties);
    if (properties === undefined) {
      const alias = p.properties === undefined ? 0 : (p.properties.topicAlias as number);
      const payload = p.payload;
      if (payload.length <= SPLIT_PAYLOAD_BYTES) {
        // Room for the fixed header (5), topic length (2), packet id (2) and an alias section (4);
        // reserve() is called only when that is more than the buffer (a call costs XS computrons).
        const room = 13 + (topicBytes ? topicBytes.length : p.topic.length) + payload.length;
        if (room > this.out.length) this.reserve(room);
        const n = encodeAliasedPublish(p, alias, this.out, 0, topicBytes);
        if (n > 0) {
          this.outTopic = undefined; // written over
          this.lastSent = this.now;
          this.events.onSend(this.out.subarray(0, n));
          return;
        }
      } else {
        // The header only (HEADER_GROWTH bytes in, for the longer remaining length), then the payload.
        this.reserve(HEADER_GROWTH + 13 + (topicBytes ? topicBytes.length : p.topic.length));
        p.payload = this.noBytes;
        const n = encodeAliasedPublish(p, alias, this.out, HEADER_GROWTH, topicBytes);
        p.payload = payload;
        if (n > 0) {
          this.outTopic = undefined; // written over
          this.sendHeadThenPayload(HEADER_GROWTH, HEADER_GROWTH + n, payload);
          return;
        }
      }
    }
    this.sendPublishPacket(p);
  }

  /**
   * Measures m's PUBLISH and notes its topic's cached bytes in m (undefined: an invalid topic, or
   * a 5.0 message with properties of its own, which takes the general encoder). In 5.0 the bytes
   * go to encodeAliasedPublish, so the topic is validated and encoded once, not per message.
   */
  private encodedPublishLength(m: Outgoing): number {
    if (!this.v5 || m.properties === undefined) {
      const topic = this.topics.bytes(m.topic);
      m.topicBytes = topic;
      // 5.0 without properties: one more byte, the empty property section (an alias may add 3).
      if (topic !== undefined) return publishLength(topic.length, m.qos, m.payload.length + (this.v5 ? 1 : 0));
    } else m.topicBytes = undefined;
    const p = this.publishPacket;
    p.topic = m.topic;
    p.payload = m.payload;
    p.qos = m.qos;
    p.retain = m.retain;
    p.dup = false;
    p.packetId = m.packetId || 1;
    p.properties = m.properties;
    return encodedLength(p, this.version);
  }

  private invalid(p: PublishPacket, length: number): number {
    const error = length < 0 ? validatePacket(p, this.version) : protocolError('PACKET_TOO_LARGE', `PUBLISH to ${p.topic} is ${length} bytes; the limit is ${this.outLimit}`);
    if (error) this.events.onError?.(error);
    return PUBLISH_INVALID;
  }

  /**
   * SUBSCRIBEs for `filters`, one per Subscription Identifier (5.0: the identifier is a property
   * of the whole packet), so a resubscription keeps each filter's identifier. Returns the first id.
   */
  private sendSubscribe(filters: string[]): number {
    if (this.subscriptionIds.size === 0) return this.sendRequest('subscribe', filters);
    const groups = new Map<number, string[]>();
    for (const f of filters) {
      const id = this.subscriptionIds.get(f) ?? 0;
      const group = groups.get(id);
      if (group) group.push(f);
      else groups.set(id, [f]);
    }
    let first = 0;
    for (const [id, group] of groups) {
      const packetId = this.sendRequest('subscribe', group, id);
      if (first === 0) first = packetId;
    }
    return first;
  }

  private sendRequest(kind: 'subscribe' | 'unsubscribe', filters: string[], subscriptionIdentifier = 0): number {
    const packetId = this.ids.next(this.idInUse);
    this.pending.push({ packetId, kind, filters });
    if (kind === 'subscribe') {
      const subscriptions: Subscription[] = filters.map((topicFilter) => this.subscriptions.get(topicFilter) ?? { topicFilter, qos: 0 });
      const packet: Packet = { type: PacketType.SUBSCRIBE, packetId, subscriptions };
      if (subscriptionIdentifier > 0) packet.properties = { subscriptionIdentifier };
      this.send(packet);
    } else {
      this.send({ type: PacketType.UNSUBSCRIBE, packetId, topicFilters: filters });
    }
    return packetId;
  }

  /** An acknowledgement; `reasonCode` (5.0 only, 0 left off the wire) e.g. 0x92 for an unknown id. */
  private sendId(type: IdPacketType, packetId: number, reasonCode = 0): void {
    this.idPacket.type = type;
    this.idPacket.packetId = packetId;
    this.idPacket.reasonCode = this.v5 ? reasonCode : undefined;
    this.send(this.idPacket as Packet);
  }

  /** Encodes into the reused buffer and hands the bytes to onSend. False (and onError) when the packet cannot be encoded. */
  private send(packet: Packet): boolean {
    const length = encodedLength(packet, this.version);
    if (length < 0) {
      this.events.onError?.(validatePacket(packet, this.version) ?? protocolError('BAD_LENGTH', 'packet cannot be encoded'));
      return false;
    }
    this.sendMeasured(packet, length);
    return true;
  }

  /** Grows the output buffer to hold `length` bytes: only past the largest packet so far, then kept. */
  private reserve(length: number): void {
    if (length > this.out.length) {
      let size = this.out.length * 2;
      while (size < length) size *= 2;
      this.out = new Uint8Array(size);
      this.outTopic = undefined;
    }
  }

  private sendMeasured(packet: Packet, length: number): void {
    this.reserve(length);
    this.outTopic = undefined; // written over
    encode(packet, this.out, 0, this.version);
    this.lastSent = this.now;
    this.events.onSend(this.out.subarray(0, length));
  }

  // ---- bookkeeping ----------------------------------------------------------------------

  /** A free packet id; with nothing in flight and no request pending, any next id is free. */
  private nextPacketId(): number {
    return this.inflight.length === 0 && this.pending.length === 0 ? this.ids.advance() : this.ids.next(this.idInUse);
  }

  private isIdInUse(id: number): boolean {
    if (this.indexOf(id) >= 0) return true;
    const pending = this.pending;
    for (let i = 0; i < pending.length; i++) if (pending[i].packetId === id) return true;
    return false;
  }

  private indexOf(packetId: number): number {
    const inflight = this.inflight;
    for (let i = 0; i < inflight.length; i++) if (inflight[i].packetId === packetId) return i;
    return -1;
  }

  private find(packetId: number): Outgoing | undefined {
    const i = this.indexOf(packetId);
    return i < 0 ? undefined : this.inflight[i];
  }

  private takePending(packetId: number, kind: PendingRequest['kind']): PendingRequest | undefined {
    for (let i = 0; i < this.pending.length; i++) {
      const r = this.pending[i];
      if (r.packetId === packetId && r.kind === kind) {
        this.pending.splice(i, 1);
        return r;
      }
    }
    return undefined;
  }

  private fail(error: ProtocolError): void {
    if (this.phase === 'disconnected') return;
    this.events.onError?.(error);
    // 5.0: tell the server why before closing [MQTT-4.13.1].
    if (this.v5) this.send({ type: PacketType.DISCONNECT, reasonCode: disconnectReasonFor(error) });
    this.close('PROTOCOL_ERROR', error.message, error);
  }

  /** `from`: the 5.0 DISCONNECT or CONNACK that ended the connection, for its reason code and properties. */
  private close(code: CloseCode, message: string, error?: ProtocolError, from?: DisconnectPacket | ConnackPacket): void {
    if (this.phase === 'disconnected') return;
    this.phase = 'disconnected';
    this.fastAck = false;
    this.decoder.reset(); // the rest of the current chunk belongs to a dead connection
    this.pingOutstanding = false;
    this.pending.length = 0;
    const reason: CloseReason = { code, message };
    if (error) reason.error = error;
    if (from) {
      reason.reasonCode = from.type === PacketType.CONNACK ? from.returnCode : (from.reasonCode ?? 0);
      if (from.properties) reason.properties = from.properties;
    }
    this.events.onClose?.(reason);
  }
}
