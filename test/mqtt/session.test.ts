/** Node-only session tests: long runs (packet id wrap) and fast-check properties over random histories. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/mqtt/codec';
import { Decoder } from '../../src/mqtt/decoder';
import { ConnackCode, PacketType, type Packet, type QoS } from '../../src/mqtt/packets';
import { Session, PUBLISH_QUEUED } from '../../src/mqtt/session';

/** A session wired to a scripted broker that records what the client sent. */
function wired(options: { window?: number; maxQueued?: number } = {}) {
  const received: Packet[] = [];
  const acked: unknown[] = [];
  const sniffer = new Decoder({ maxPacketSize: 1 << 20, onPacket: (p) => received.push(p) });
  const session = new Session(
    { clientId: 'prop', cleanSession: false, inflightWindow: options.window ?? 10, maxQueued: options.maxQueued ?? 100_000 },
    {
      onSend: (bytes) => sniffer.push(bytes),
      onPublishAcked: (_id, token) => acked.push(token),
      onError: (e) => {
        throw new Error(`unexpected error ${e.code}`);
      },
    },
  );
  const buf = new Uint8Array(256);
  const deliver = (p: Packet) => session.receive(buf.slice(0, encode(p, buf, 0)), 0);
  const connect = (sessionPresent: boolean) => {
    session.connect({}, 0);
    deliver({ type: PacketType.CONNACK, sessionPresent, returnCode: ConnackCode.ACCEPTED });
  };
  return { session, received, acked, deliver, connect };
}

describe('session packet ids', () => {
  it('skip an id still unacknowledged when the counter wraps past 65535', () => {
    const w = wired({ window: 2 });
    w.connect(false);
    const held = w.session.publish('t', new Uint8Array(1), { qos: 1, token: 'held' }, 0);
    expect(held).toBe(1);
    // Cycle the counter through every other id; each one is acknowledged at once.
    let last = 0;
    for (let i = 0; i < 65534; i++) {
      last = w.session.publish('t', new Uint8Array(1), { qos: 1 }, 0);
      w.deliver({ type: PacketType.PUBACK, packetId: last });
    }
    expect(last).toBe(65535);
    const next = w.session.publish('t', new Uint8Array(1), { qos: 1 }, 0);
    expect(next).toBe(2); // 1 is still in flight
    w.deliver({ type: PacketType.PUBACK, packetId: held });
    expect(w.acked.at(-1)).toBe('held');
  });
});

type Op =
  | { kind: 'publish'; qos: 1 | 2 }
  | { kind: 'ack'; pick: number }
  | { kind: 'drop'; sessionPresent: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('publish' as const), qos: fc.constantFrom(1 as const, 2 as const) }),
  fc.record({ kind: fc.constant('ack' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('drop' as const), sessionPresent: fc.boolean() }),
);

describe('session properties', () => {
  it('every QoS 1/2 publish is acknowledged exactly once, ids in flight are unique, the window holds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(opArb, { maxLength: 120 }), (window, ops) => {
        const w = wired({ window });
        w.connect(false);
        let tokens = 0;
        /** Broker view: id -> what it still owes (PUBACK, PUBREC or PUBCOMP). */
        const owed = new Map<number, 'PUBACK' | 'PUBREC' | 'PUBCOMP'>();
        let seen = 0;
        const sync = () => {
          for (; seen < w.received.length; seen++) {
            const p = w.received[seen];
            if (p.type === PacketType.PUBLISH && p.packetId) {
              owed.set(p.packetId, p.qos === 1 ? 'PUBACK' : 'PUBREC');
            } else if (p.type === PacketType.PUBREL) {
              owed.set(p.packetId, 'PUBCOMP');
            }
          }
        };
        const answer = (id: number) => {
          const what = owed.get(id)!;
          owed.delete(id);
          const type = what === 'PUBACK' ? PacketType.PUBACK : what === 'PUBREC' ? PacketType.PUBREC : PacketType.PUBCOMP;
          w.deliver({ type, packetId: id } as Packet);
          sync();
        };
        for (const op of ops) {
          if (op.kind === 'publish') {
            const r = w.session.publish('t', new Uint8Array([tokens & 255]), { qos: op.qos as QoS, token: tokens++ }, 0);
            expect(r > 0 || r === PUBLISH_QUEUED).toBe(true);
          } else if (op.kind === 'ack') {
            if (owed.size > 0) answer([...owed.keys()][op.pick % owed.size]);
          } else {
            w.session.connectionLost('cut', 0);
            owed.clear(); // what was on the wire is lost; the session must resend
            w.connect(op.sessionPresent);
          }
          sync();
          expect(w.session.inflightCount).toBeLessThanOrEqual(window);
          const ids = [...owed.keys()];
          expect(new Set(ids).size).toBe(ids.length);
        }
        // Let the broker answer everything.
        while (owed.size > 0) answer([...owed.keys()][0]);
        // Nothing may be left that the broker was never told about.
        expect(w.session.inflightCount + w.session.queuedCount).toBe(0);
        const acked = [...w.acked].sort((a, b) => (a as number) - (b as number));
        expect(acked).toEqual(Array.from({ length: tokens }, (_, i) => i));
      }),
      { numRuns: 300 },
    );
  });

  it('a resent PUBLISH keeps its packet id and carries DUP; fresh ones do not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 10 }), (count, window) => {
        const w = wired({ window });
        w.connect(false);
        for (let i = 0; i < count; i++) w.session.publish('t', new Uint8Array([i]), { qos: 1, token: i }, 0);
        const firstIds = w.received.filter((p) => p.type === PacketType.PUBLISH).map((p) => (p as { packetId: number }).packetId);
        expect(firstIds.length).toBe(Math.min(count, window));
        w.received.length = 0;
        w.session.connectionLost('cut', 0);
        w.connect(true);
        const resent = w.received.filter((p) => p.type === PacketType.PUBLISH) as Extract<Packet, { type: typeof PacketType.PUBLISH }>[];
        expect(resent.map((p) => p.packetId)).toEqual(firstIds);
        expect(resent.every((p) => p.dup)).toBe(true);
      }),
    );
  });
});
