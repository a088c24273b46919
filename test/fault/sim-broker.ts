/**
 * A broker in simulated time, behind the Host's Network interface: the device's real MQTT
 * client (and HubClient above it) talks MQTT bytes to it, decoded with the project's decoder
 * and answered with its encoder, each way after `latencyMs` on the simulated timers. Enough of
 * IoT Hub to run for simulated days: CONNACK (with an authentication hook), PUBACK,
 * SUBACK, PINGRESP, twin GET (200) and reported PATCH (204), SAS expiry closing the connection.
 *
 * Faults: down (connections refused), drop() (every connection lost), silent (swallow
 * everything: half-open in simulated time).
 */
import { encode, encodedLength } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import { PacketType, type ConnackCode, type ConnectPacket, type Packet, type PublishPacket } from '../../src/mqtt/packets';
import type { Clock, Connection, ConnectionHandlers, ConnectOptions, Network, Timers } from '../../src/platform';

export interface SimBrokerOptions {
  latencyMs?: number;
  /** CONNACK return code for a CONNECT (0 accepts). Default: accept. */
  authenticate?: (connect: ConnectPacket, nowEpochMs: number | undefined) => number;
  /** Epoch ms at which the connection must close (a SAS token's expiry), or undefined. */
  expiresAt?: (connect: ConnectPacket) => number | undefined;
  onPublish?: (packet: PublishPacket, nowMs: number) => void;
  /** Swallow the PUBACK for this PUBLISH (a broker that loses an acknowledgement). */
  dropPuback?: (packet: PublishPacket) => boolean;
}

export interface SimBrokerStats {
  attempts: number;
  accepted: number;
  refused: number;
  disconnectPackets: number;
  expiredKicks: number;
  publishes: number;
}

function bytesOf(packet: Packet): Uint8Array {
  const out = new Uint8Array(encodedLength(packet));
  encode(packet, out, 0);
  return out;
}

export class SimBroker implements Network {
  down = false;
  silent = false;
  readonly stats: SimBrokerStats = { attempts: 0, accepted: 0, refused: 0, disconnectPackets: 0, expiredKicks: 0, publishes: 0 };
  /** Times (simulated ms) of each connection attempt. */
  readonly attemptTimes: number[] = [];
  private readonly open = new Set<{ close: (error?: { code: string; message: string }) => void }>();
  private readonly latency: number;

  constructor(
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly options: SimBrokerOptions = {},
  ) {
    this.latency = options.latencyMs ?? 5;
  }

  /** Every open connection is lost (as by a broker crash). */
  drop(): void {
    for (const c of [...this.open]) c.close({ code: 'ECONNRESET', message: 'simulated connection loss' });
  }

  connect(_options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    this.stats.attempts++;
    this.attemptTimes.push(this.clock.now());
    const { timers } = this;
    let closed = false;
    const pending = new Set<unknown>();
    const later = (fn: () => void): void => {
      const id = timers.set(() => {
        pending.delete(id);
        if (!closed) fn();
      }, this.latency);
      pending.add(id);
    };
    const entry = {
      close: (error?: { code: string; message: string }) => {
        if (closed) return;
        closed = true;
        this.open.delete(entry);
        for (const id of pending) timers.clear(id);
        if (expiryTimer !== undefined) timers.clear(expiryTimer);
        handlers.onClose(error);
      },
    };
    let expiryTimer: unknown;
    if (this.down) {
      later(() => entry.close({ code: 'ECONNREFUSED', message: 'simulated broker down' }));
      return { write: () => false, close: () => entry.close() };
    }
    this.open.add(entry);
    const send = (packet: Packet): void => {
      const bytes = bytesOf(packet);
      later(() => handlers.onData(bytes));
    };
    const decoder = new Decoder({
      onPacket: (packet) => this.handle(packet, send, entry, (t) => (expiryTimer = t)),
      onError: () => later(() => entry.close({ code: 'CLOSED', message: 'protocol error at the broker' })),
    });
    later(() => handlers.onConnect());
    return {
      write: (data) => {
        if (closed) return false;
        if (this.silent) return true;
        const copy = data.slice();
        later(() => decoder.push(copy));
        return true;
      },
      close: () => {
        // A local close: onClose follows asynchronously, without an error.
        if (!closed) later(() => entry.close());
      },
    };
  }

  private handle(packet: Packet, send: (p: Packet) => void, entry: { close: (e?: { code: string; message: string }) => void }, setExpiry: (t: unknown) => void): void {
    if (this.silent) return;
    switch (packet.type) {
      case PacketType.CONNECT: {
        const code = this.options.authenticate ? this.options.authenticate(packet, this.clock.epochMs()) : 0;
        send({ type: PacketType.CONNACK, sessionPresent: code === 0 && !packet.cleanSession, returnCode: code as ConnackCode });
        if (code !== 0) {
          this.stats.refused++;
          this.timers.set(() => entry.close({ code: 'CLOSED', message: 'refused' }), this.latency * 2);
          return;
        }
        this.stats.accepted++;
        const expires = this.options.expiresAt?.(packet);
        const epoch = this.clock.epochMs();
        if (expires !== undefined && epoch !== undefined) {
          setExpiry(
            this.timers.set(() => {
              this.stats.expiredKicks++;
              entry.close({ code: 'CLOSED', message: 'SAS token expired' });
            }, Math.max(0, expires - epoch)),
          );
        }
        return;
      }
      case PacketType.PUBLISH: {
        this.stats.publishes++;
        if (packet.qos > 0 && !this.options.dropPuback?.(packet)) send({ type: PacketType.PUBACK, packetId: packet.packetId as number });
        const rid = /\$rid=([^&]*)/.exec(packet.topic)?.[1];
        if (packet.topic.startsWith('$iothub/twin/GET/')) {
          send({ type: PacketType.PUBLISH, topic: `$iothub/twin/res/200/?$rid=${rid}`, payload: new TextEncoder().encode('{"desired":{"$version":1},"reported":{"$version":1}}'), qos: 0, retain: false, dup: false });
        } else if (packet.topic.startsWith('$iothub/twin/PATCH/properties/reported/')) {
          send({ type: PacketType.PUBLISH, topic: `$iothub/twin/res/204/?$rid=${rid}&$version=2`, payload: new Uint8Array(0), qos: 0, retain: false, dup: false });
        } else {
          this.options.onPublish?.(packet, this.clock.now());
        }
        return;
      }
      case PacketType.SUBSCRIBE:
        send({ type: PacketType.SUBACK, packetId: packet.packetId, granted: packet.subscriptions.map((s) => (s.qos > 1 ? 1 : s.qos)) });
        return;
      case PacketType.UNSUBSCRIBE:
        send({ type: PacketType.UNSUBACK, packetId: packet.packetId });
        return;
      case PacketType.PINGREQ:
        send({ type: PacketType.PINGRESP });
        return;
      case PacketType.DISCONNECT:
        this.stats.disconnectPackets++;
        this.timers.set(() => entry.close(), this.latency);
        return;
      default:
        return;
    }
  }
}
