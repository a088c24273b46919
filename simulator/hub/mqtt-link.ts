// What the hub needs from an aedes client beyond aedes's routing: direct QoS 0/1 publishes with
// our own packet ids (C2D completion is ours, not aedes persistence's) and a look at raw packets.
import type { Client } from 'aedes';
import type { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import mqttPacket from 'mqtt-packet';

const nextIds = new WeakMap<Client, number>();

/** Publishes straight to the client's socket. Returns the packet id for QoS 1. */
export function sendTo(client: Client, topic: string, payload: Buffer | string, qos: 0 | 1): number | undefined {
  if (!client.connected || client.closed) return undefined;
  let messageId: number | undefined;
  if (qos === 1) {
    // start far from aedes's own counter's typical range; both wrap within 1..65535
    const id = nextIds.get(client) ?? 40000;
    messageId = id;
    nextIds.set(client, id >= 65535 ? 1 : id + 1);
  }
  mqttPacket.writeToStream(
    { cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos, dup: false, retain: false, ...(messageId !== undefined ? { messageId } : {}) },
    client.conn,
  );
  return messageId;
}

/** QoS the client holds for `filter`, or undefined when it has no such subscription. */
export function subscriptionQos(client: Client, filter: string): 0 | 1 | undefined {
  const subs = (client as unknown as { subscriptions: Record<string, { qos: number } | undefined> }).subscriptions;
  const s = subs[filter];
  return s === undefined ? undefined : s.qos >= 1 ? 1 : 0;
}

export interface RawPacket {
  cmd: string;
  qos?: number;
  messageId?: number;
  subscriptions?: { topic: string; qos: number }[];
}

/**
 * Sees every packet the client sends before aedes handles it. aedes exposes no hook for PUBACKs
 * of packets it did not send, nor for SUBSCRIBE before it fixes the granted QoS, so this listens
 * on its parser (private `_parser`, stable across aedes 0.x and 1.x).
 */
export function tapPackets(client: Client, onPacket: (p: RawPacket) => void): void {
  const parser = (client as unknown as { _parser?: EventEmitter })._parser;
  if (!parser) throw new Error('aedes client has no _parser: aedes internals changed');
  parser.prependListener('packet', onPacket);
}

export function peerThumbprints(client: Client): { sha1: string; sha256: string } | undefined {
  const conn = client.conn as Partial<TLSSocket>;
  if (typeof conn.getPeerCertificate !== 'function') return undefined;
  const cert = conn.getPeerCertificate();
  if (!cert || !cert.fingerprint) return undefined;
  return { sha1: cert.fingerprint, sha256: cert.fingerprint256 };
}

export function destroy(client: Client, reason: string): void {
  (client.conn as { destroy(e?: Error): void }).destroy(new Error(reason));
}
