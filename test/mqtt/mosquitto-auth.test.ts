/**
 * MQTT 5.0 enhanced authentication (5.0 section 4.12, AUTH 3.15) through the client's EnhancedAuth
 * hook against a real mosquitto: the broker loads test/mosquitto/plugins/auth-challenge.c (built
 * here with gcc), which adds the challenge-response method "x-thermo-challenge" on one listener
 * that admits no other client. Covers: a successful exchange (CONNECT data, AUTH 0x18 both ways,
 * the server's proof in CONNACK, checked by the hook), a wrong answer (CONNACK 0x87), an unknown
 * method (CONNACK 0x8C), both reaching the application and the reconnect policy, a server proof
 * the hook refuses, and re-authentication (AUTH 0x19) on an open connection, accepted (AUTH
 * 0x00) and refused (0x87; mosquitto 2.0.11 says it with a CONNACK).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClientOptions } from '../../src/mqtt/client';
import { Decoder } from '../../src/mqtt/decoder';
import { PacketType, type Packet } from '../../src/mqtt/packets';
import type { EnhancedAuth } from '../../src/mqtt/session';
import { startMosquitto, type Mosquitto } from '../fixtures/mosquitto';
import { CHALLENGE_TEST_SECRET, challengeListener } from '../fixtures/mosquitto-plugin';
import { Harness } from './mosquitto-helpers';

const METHOD = 'x-thermo-challenge';
const CEILING_MS = 1_500;

let broker: Mosquitto;
const harnesses: Harness[] = [];

beforeAll(async () => {
  broker = await startMosquitto({ extraListener: challengeListener() });
});

afterEach(() => {
  for (const h of harnesses.splice(0)) h.client.close();
});

afterAll(async () => {
  await broker?.stop();
});

let serial = 0;
function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++serial}`;
}

/** The client side of x-thermo-challenge, recording what it saw. `secret` may be changed between exchanges. */
class ChallengeAuth implements EnhancedAuth {
  clientNonce = new Uint8Array(0);
  serverNonce = new Uint8Array(0);
  readonly challenges: Uint8Array[] = [];
  /** done()'s verdict on each server proof. */
  readonly proofs: boolean[] = [];

  /** The secret the server's proof is checked with (normally `secret`). */
  proofSecret: string | undefined;

  constructor(
    public secret: string,
    readonly method = METHOD,
  ) {}

  start(): Uint8Array {
    this.clientNonce = new Uint8Array(randomBytes(16));
    return this.clientNonce;
  }

  challenge(data: Uint8Array | undefined): Uint8Array | undefined {
    if (data === undefined) return undefined;
    this.serverNonce = Uint8Array.from(data);
    this.challenges.push(this.serverNonce);
    return this.mac(this.serverNonce, this.clientNonce);
  }

  done(data: Uint8Array | undefined): boolean {
    const expected = this.mac(this.clientNonce, this.serverNonce, this.proofSecret);
    const ok = data !== undefined && Buffer.from(data).equals(Buffer.from(expected));
    this.proofs.push(ok);
    return ok;
  }

  private mac(a: Uint8Array, b: Uint8Array, secret = this.secret): Uint8Array {
    return new Uint8Array(createHmac('sha256', secret).update(a).update(b).digest());
  }
}

/** A client on the plugin's listener; `id` is its client id (as the broker logs it). */
function harness(auth: EnhancedAuth | undefined, options: Partial<MqttClientOptions> = {}): Harness & { id: string } {
  const id = uniqueId('auth');
  const h = new Harness({
    host: broker.host,
    port: broker.extraPort,
    clientId: id,
    protocolVersion: 5,
    keepAlive: 20,
    backoff: { minMs: 200, maxMs: CEILING_MS },
    connectTimeoutMs: 5_000,
    auth,
    ...options,
  });
  harnesses.push(h);
  return Object.assign(h, { id });
}

/** Polls `condition` (for state the Harness does not record, e.g. the hook's). */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Decodes what a harness writes (5.0), as packets. */
function sniff(h: Harness): Packet[] {
  const sent: Packet[] = [];
  const d = new Decoder({ protocolVersion: 5, maxPacketSize: 1 << 20, onPacket: (p) => sent.push(p) });
  h.network.sniff = (bytes) => d.push(bytes);
  return sent;
}

/** Subscribes to a fresh topic and publishes to it at QoS 1: the connection carries messages. */
async function roundTrip(h: Harness): Promise<void> {
  const topic = `auth/${uniqueId('t')}`;
  const before = h.messages.length;
  h.client.subscribeTo(topic, 1);
  await h.until(() => h.subacks.length > 0 && h.subacks[h.subacks.length - 1][0] === 1, 'SUBACK granting QoS 1');
  h.client.publish(topic, new TextEncoder().encode('after auth'), { qos: 1 });
  await h.until(() => h.messages.length > before, 'the message back');
  expect(h.messages[h.messages.length - 1].payload.toString()).toBe('after auth');
}

describe('MQTT 5.0 enhanced authentication against mosquitto with the x-thermo-challenge plugin', () => {
  it('the right secret: CONNECT carries method and nonce, the challenge is answered with AUTH 0x18, CONNACK carries the server proof', async () => {
    const auth = new ChallengeAuth(CHALLENGE_TEST_SECRET);
    const h = harness(auth);
    const sent = sniff(h);
    await h.connected();
    expect(h.errors).toEqual([]);
    const connect = sent[0];
    expect(connect.type).toBe(PacketType.CONNECT);
    if (connect.type !== PacketType.CONNECT) return;
    expect(connect.properties?.authenticationMethod).toBe(METHOD);
    expect(connect.properties?.authenticationData).toEqual(auth.clientNonce);
    // One challenge (a 16-byte server nonce), one answer: an AUTH 0x18 with a 32-byte HMAC.
    expect(auth.challenges.map((c) => c.length)).toEqual([16]);
    const answers = sent.filter((p) => p.type === PacketType.AUTH);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ reasonCode: 0x18, properties: { authenticationMethod: METHOD } });
    if (answers[0].type === PacketType.AUTH) expect(answers[0].properties?.authenticationData?.length).toBe(32);
    // The CONNACK names the method and carries the server's proof, which the hook checked.
    expect(h.connackProperties[0]?.authenticationMethod).toBe(METHOD);
    expect(auth.proofs).toEqual([true]);
    await broker.waitForLog(new RegExp(`${METHOD}: ${h.id} authenticated`));
    await roundTrip(h);
  });

  it('a wrong answer is CONNACK 0x87 Not authorized: onError names it, the policy waits the backoff ceiling with the reason code', async () => {
    const auth = new ChallengeAuth('not the secret');
    const h = harness(auth);
    h.client.start();
    await h.until(() => h.scheduled.length >= 2, 'two refusals', 15_000);
    h.client.close();
    expect(h.connects).toEqual([]);
    expect(auth.challenges.length).toBeGreaterThanOrEqual(2); // the server did challenge each attempt
    expect(auth.proofs).toEqual([]);
    expect(h.errors[0].code).toBe('CONNACK_NOT_AUTHORIZED');
    expect(h.errors[0].message).toContain('Not authorized');
    expect(h.scheduled[0]).toMatchObject({ delayMs: CEILING_MS, reason: { code: 'CONNACK_NOT_AUTHORIZED', reasonCode: 0x87 } });
    expect(h.scheduled[1].delayMs).toBe(CEILING_MS);
    const [a, b] = h.network.attempts;
    expect(b - a).toBeGreaterThanOrEqual(CEILING_MS - 5);
    expect(broker.log()).toContain(`${METHOD}: wrong answer from ${h.id}, refused`);
  });

  it('an unknown method is CONNACK 0x8C Bad authentication method, reported and backed off to the ceiling', async () => {
    const auth = new ChallengeAuth(CHALLENGE_TEST_SECRET, 'SCRAM-SHA-256');
    const h = harness(auth);
    h.client.start();
    await h.until(() => h.scheduled.length >= 1, 'the refusal');
    h.client.close();
    expect(h.connects).toEqual([]);
    expect(auth.challenges).toEqual([]); // refused at once, no challenge
    expect(h.errors[0].code).toBe('CONNACK_BAD_USERNAME_OR_PASSWORD');
    expect(h.errors[0].message).toContain('Bad authentication method');
    expect(h.scheduled[0]).toMatchObject({ delayMs: CEILING_MS, reason: { reasonCode: 0x8c } });
  });

  it('mutual: a server proof the hook cannot verify is refused by the client after CONNACK (AUTH_NOT_HANDLED, DISCONNECT 0x82), and it tries again', async () => {
    const auth = new ChallengeAuth(CHALLENGE_TEST_SECRET);
    auth.proofSecret = 'what an impostor broker would not know';
    const h = harness(auth);
    const sent = sniff(h);
    h.client.start();
    await h.until(() => h.scheduled.length >= 1, 'the refusal');
    h.client.close();
    expect(auth.proofs).toEqual([false]);
    expect(h.connects).toEqual([]); // the application never hears of the connection
    expect(h.errors[0]).toMatchObject({ code: 'AUTH_NOT_HANDLED' });
    expect(h.scheduled[0].reason.code).toBe('PROTOCOL_ERROR');
    expect(h.scheduled[0].delayMs).toBeLessThan(CEILING_MS); // not the broker refusing us: the usual backoff
    expect(sent.filter((p) => p.type === PacketType.DISCONNECT)).toEqual([{ type: PacketType.DISCONNECT, reasonCode: 0x82 }]);
  });

  it('without enhanced authentication this listener refuses the client (CONNACK 0x87): only the method lets one in', async () => {
    const h = harness(undefined);
    h.client.start();
    await h.until(() => h.errors.length >= 1, 'the refusal');
    h.client.close();
    expect(h.connects).toEqual([]);
    expect(h.errors[0].code).toBe('CONNACK_NOT_AUTHORIZED');
    expect(h.scheduled[0]?.reason.reasonCode).toBe(0x87);
  });

  it('re-authentication: AUTH 0x19 with a new nonce, the challenge answered, AUTH 0x00 with a new proof; the connection carries on', async () => {
    const auth = new ChallengeAuth(CHALLENGE_TEST_SECRET);
    const h = harness(auth);
    const sent = sniff(h);
    await h.connected();
    const firstNonce = auth.clientNonce;
    const received: Packet[] = [];
    const decoder = new Decoder({ protocolVersion: 5, maxPacketSize: 1 << 20, onPacket: (p) => received.push(p) });
    const receive = h.client.session.receive.bind(h.client.session);
    h.client.session.receive = (data, now) => {
      decoder.push(data);
      receive(data, now);
    };
    expect(h.client.reauthenticate()).toBe(true);
    await waitFor(() => auth.proofs.length === 2, 'the re-authentication to finish');
    expect(auth.proofs).toEqual([true, true]);
    expect(auth.clientNonce).not.toEqual(firstNonce);
    expect(auth.challenges).toHaveLength(2);
    expect(auth.challenges[1]).not.toEqual(auth.challenges[0]);
    const auths = sent.filter((p) => p.type === PacketType.AUTH).map((p) => (p.type === PacketType.AUTH ? p.reasonCode : -1));
    expect(auths).toEqual([0x18, 0x19, 0x18]);
    expect(received.map((p) => (p.type === PacketType.AUTH ? p.reasonCode : -1))).toEqual([0x18, 0x00]);
    expect(h.disconnects).toEqual([]);
    expect(h.connects).toHaveLength(1);
    await roundTrip(h);
  });

  it('a refused re-authentication (mosquitto 2.0.11 answers CONNACK 0x87, not DISCONNECT) ends the connection with 0x87 for the application and the policy; the right secret connects again', async () => {
    const auth = new ChallengeAuth(CHALLENGE_TEST_SECRET);
    const h = harness(auth);
    await h.connected();
    auth.secret = 'a revoked secret';
    expect(h.client.reauthenticate()).toBe(true);
    await h.until(() => h.disconnects.length === 1 && h.scheduled.length === 1, 'the refusal');
    expect(h.disconnects[0]).toMatchObject({ code: 'SERVER_DISCONNECT', reasonCode: 0x87 });
    expect(h.disconnects[0].message).toContain('Not authorized');
    expect(h.errors).toEqual([]); // not a protocol error of ours
    expect(broker.log()).toContain(`${METHOD}: wrong answer from ${h.id}, refused`);
    expect(h.scheduled[0]).toMatchObject({ delayMs: CEILING_MS, reason: { code: 'SERVER_DISCONNECT', reasonCode: 0x87 } });
    auth.secret = CHALLENGE_TEST_SECRET;
    await h.until(() => h.connects.length === 2, 'the reconnection');
    expect(auth.proofs).toEqual([true, true]);
    await roundTrip(h);
  });

  it('re-authentication is refused locally when not connected or without a hook', async () => {
    const h = harness(new ChallengeAuth(CHALLENGE_TEST_SECRET));
    expect(h.client.reauthenticate()).toBe(false); // idle
    await h.connected();
    const plain = new Harness({ host: broker.host, port: broker.plainPort, clientId: uniqueId('plain'), protocolVersion: 5 });
    harnesses.push(plain);
    await plain.connected();
    expect(plain.client.reauthenticate()).toBe(false);
    expect(h.client.reauthenticate()).toBe(true);
  });
});
