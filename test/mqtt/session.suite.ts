/** Session state machine vectors in simulated time; they run in Node and inside XS. */
import type { Suite } from '../harness';
import { PacketIds } from '../../src/mqtt/packet-ids';
import { ConnackCode, PacketType } from '../../src/mqtt/packets';
import { PUBLISH_DROPPED, PUBLISH_INVALID, PUBLISH_QUEUED, PUBLISH_REJECTED, SPLIT_PAYLOAD_BYTES } from '../../src/mqtt/session';
import { bytes, checkSplitPublish, inbound, patterned, rig } from './session-rig';

export const suite: Suite = {
  name: 'mqtt-session',
  cases: [
    {
      name: 'CONNECT carries client id, clean session, keepalive, will and credentials; CONNACK connects',
      run: (t) => {
        const r = rig({ clientId: 'dev1', cleanSession: false, keepAlive: 30, will: { topic: 'dev1/status', payload: bytes('gone'), qos: 1, retain: true } });
        r.session.connect({ username: 'hub/dev1', password: bytes('secret') }, 0);
        const sent = r.take();
        t.equal(sent, ['CONNECT dev1 clean=0 ka=30 user=hub/dev1 pw=6 will=dev1/status']);
        t.equal(r.session.state, 'connecting');
        r.deliver({ type: PacketType.CONNACK, sessionPresent: true, returnCode: ConnackCode.ACCEPTED }, 5);
        t.equal(r.session.state, 'connected');
        const events = r.events();
        t.equal(events, ['connected present=1']);
        return { sent, events };
      },
    },
    {
      name: 'a refused CONNACK is a named error and closes, never an exception',
      run: (t) => {
        const r = rig();
        r.session.connect({ username: 'u', password: bytes('wrong') }, 0);
        r.deliver({ type: PacketType.CONNACK, sessionPresent: false, returnCode: ConnackCode.BAD_USERNAME_OR_PASSWORD }, 1);
        const events = r.events();
        t.equal(events, ['error CONNACK_BAD_USERNAME_OR_PASSWORD', 'close CONNACK_REFUSED CONNACK_BAD_USERNAME_OR_PASSWORD']);
        t.equal(r.session.state, 'disconnected');
        r.session.connect({}, 2);
        r.deliver({ type: PacketType.CONNACK, sessionPresent: false, returnCode: ConnackCode.NOT_AUTHORIZED }, 3);
        return events.concat(r.events());
      },
    },
    {
      name: 'protocol errors from the broker close the connection with onError, no exception',
      run: (t) => {
        const r = rig();
        r.session.connect({}, 0);
        r.deliver(inbound('a', 'x', 0), 1); // PUBLISH before CONNACK
        const early = r.events();
        t.equal(early, ['error UNEXPECTED_PACKET', 'close PROTOCOL_ERROR UNEXPECTED_PACKET']);
        r.open(2);
        r.events();
        r.deliverBytes([0x00, 0x00], 3); // packet type 0 is reserved
        const reserved = r.events();
        t.equal(reserved, ['error UNKNOWN_PACKET_TYPE', 'close PROTOCOL_ERROR UNKNOWN_PACKET_TYPE']);
        r.deliverBytes([0x30, 0x03, 0x00, 0x01, 0x61], 4); // ignored once closed
        t.equal(r.events(), []);
        r.open(5);
        r.events();
        r.deliver({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'x', qos: 0 }] }, 6);
        const unexpected = r.events();
        t.equal(unexpected, ['error UNEXPECTED_PACKET', 'close PROTOCOL_ERROR UNEXPECTED_PACKET']);
        return { early, reserved, unexpected };
      },
    },
    {
      name: 'QoS 0, 1 and 2 outbound: acknowledgements complete each flow and return the token',
      run: (t) => {
        const r = rig();
        r.open(0);
        r.events();
        r.take();
        t.equal(r.session.publish('t/0', bytes('zero'), { qos: 0 }, 1), 0);
        const id1 = r.session.publish('t/1', bytes('one'), { qos: 1, token: 'm1' }, 1);
        const id2 = r.session.publish('t/2', bytes('two'), { qos: 2, retain: true, token: 'm2' }, 1);
        t.equal([id1, id2], [1, 2]);
        const sent = r.take();
        t.equal(sent, ['PUBLISH t/0 q0 4B', 'PUBLISH t/1 q1 id1 3B', 'PUBLISH t/2 q2 id2 retain 3B']);
        r.deliver({ type: PacketType.PUBACK, packetId: 1 }, 2);
        r.deliver({ type: PacketType.PUBREC, packetId: 2 }, 2);
        const afterRec = r.take();
        t.equal(afterRec, ['PUBREL id2']);
        t.equal(r.session.inflightCount, 1);
        r.deliver({ type: PacketType.PUBCOMP, packetId: 2 }, 3);
        r.deliver({ type: PacketType.PUBACK, packetId: 1 }, 3); // duplicate: ignored
        const events = r.events();
        t.equal(events, ['acked id1 m1', 'acked id2 m2']);
        t.equal(r.session.inflightCount, 0);
        return { sent, afterRec, events };
      },
    },
    {
      name: 'an acknowledgement that never comes ends the connection after ackTimeout; the reconnect resends with DUP',
      run: (t) => {
        const r = rig({ cleanSession: false, keepAlive: 60, ackTimeoutMs: 5000 });
        r.open(0, true);
        r.events();
        r.take();
        const id = r.session.publish('t', bytes('x'), { qos: 1, token: 'm' }, 1000);
        t.equal(r.session.nextDeadline(), 6000, 'the ack deadline comes before the keepalive ping');
        r.session.tick(5999);
        t.equal(r.session.state, 'connected');
        r.deliver({ type: PacketType.PINGRESP }, 3000); // a healthy link does not excuse a lost PUBACK
        r.session.tick(6000);
        const closed = r.events();
        t.equal(closed, ['close ACK_TIMEOUT']);
        t.equal(r.session.state, 'disconnected');
        r.take();
        r.open(7000, true);
        const resent = r.take();
        t.equal(resent.slice(1), [`PUBLISH t q1 id${id} dup 1B`]);
        r.deliver({ type: PacketType.PUBACK, packetId: id }, 7001);
        const acked = r.events();
        t.equal(acked.slice(-1), [`acked id${id} m`]);
        t.equal(r.session.nextDeadline(), 7000 + 60000, 'nothing in flight: back to the keepalive deadline');
        return { closed, resent, acked };
      },
    },
    {
      name: 'QoS 1 and 2 inbound: PUBACK; PUBREC, delivered once until PUBREL, then PUBCOMP',
      run: (t) => {
        const r = rig();
        r.open(0);
        r.events();
        r.take();
        r.deliver(inbound('c2d/a', 'hello', 1, 7), 1);
        r.deliver(inbound('c2d/b', 'twice', 2, 8), 1);
        r.deliver(inbound('c2d/b', 'twice', 2, 8, true), 2); // broker resends before our PUBREC arrived
        r.deliver({ type: PacketType.PUBREL, packetId: 8 }, 3);
        r.deliver(inbound('c2d/b', 'again', 2, 8), 4); // the id is free again: a new message
        r.deliver(inbound('c2d/z', 'fire', 0), 4);
        const sent = r.take();
        const events = r.events();
        t.equal(sent, ['PUBACK id7', 'PUBREC id8', 'PUBREC id8', 'PUBCOMP id8', 'PUBREC id8']);
        t.equal(events, ['message c2d/a q1 hello', 'message c2d/b q2 twice', 'message c2d/b q2 again', 'message c2d/z q0 fire']);
        return { sent, events };
      },
    },
    {
      name: 'a PUBLISH over maxIncomingPacketSize is read past unbuffered, delivered marked oversize and acknowledged; the stream goes on',
      run: (t) => {
        const r = rig({ maxIncomingPacketSize: 64 });
        r.open(0);
        r.events();
        r.take();
        const big = inbound('devices/d/messages/devicebound/x=1', 'ü'.repeat(500), 1, 9);
        r.deliverChunked(big, 1, 37); // split anywhere, the topic across chunks too
        r.deliver(inbound('c2d/next', 'small', 1, 10), 2);
        r.deliverChunked(inbound('c2d/q0', 'z'.repeat(300), 0), 3, 1000); // whole in one chunk
        const sent = r.take();
        const events = r.events();
        t.equal(sent, ['PUBACK id9', 'PUBACK id10']);
        t.equal(events, ['message devices/d/messages/devicebound/x=1 q1 oversize=541 ', 'message c2d/next q1 small', 'message c2d/q0 q0 oversize=311 ']);
        t.equal(r.session.state, 'connected');
        // Other packet types over the limit stay a protocol error.
        r.deliverBytes([0x90, 0x50, 0x00, 0x01].concat(new Array(78).fill(0)), 4);
        const suback = r.events();
        t.equal(suback, ['error PACKET_TOO_LARGE', 'close PROTOCOL_ERROR PACKET_TOO_LARGE']);
        return { sent, events, suback };
      },
    },
    {
      name: 'keepalive: PINGREQ after K idle, dead after K + K/4 of silence (the ping went unanswered)',
      run: (t) => {
        const r = rig({ keepAlive: 10 });
        r.open(0);
        r.take();
        r.events();
        t.equal(r.session.nextDeadline(), 10_000);
        r.session.tick(9_999);
        t.equal(r.take(), []);
        r.session.tick(10_000);
        t.equal(r.take(), ['PINGREQ']);
        t.equal(r.session.nextDeadline(), 12_500, 'with a ping outstanding only the dead line remains');
        r.session.tick(10_500);
        t.equal(r.take(), [], 'one ping at a time');
        r.deliver({ type: PacketType.PINGRESP }, 11_000);
        const afterPong = r.session.nextDeadline();
        t.equal(afterPong, 20_000);
        r.session.tick(20_000);
        t.equal(r.take(), ['PINGREQ']);
        t.equal(r.session.nextDeadline(), 23_500, '1.25 K after the PINGRESP at 11 s');
        r.session.tick(23_499);
        t.equal(r.events(), []);
        r.session.tick(23_500);
        const events = r.events();
        t.equal(events, ['close KEEPALIVE_TIMEOUT']);
        t.equal(r.session.nextDeadline(), undefined);
        return { afterPong: afterPong ?? null, events };
      },
    },
    {
      name: 'keepalive: the dead line is exactly K + pingTimeout after the last byte received, never past 1.5 K',
      run: (t) => {
        const r = rig({ keepAlive: 2 });
        r.open(1_000);
        r.events();
        r.session.tick(3_000);
        t.equal(r.take().pop(), 'PINGREQ');
        t.equal(r.session.nextDeadline(), 3_500);
        r.session.tick(3_499);
        t.equal(r.events(), []);
        r.session.tick(3_500);
        const byDefault = r.events();
        t.equal(byDefault, ['close KEEPALIVE_TIMEOUT']);
        // A longer ping timeout is honoured up to K/2, so the 1.5 K bound always holds.
        const patient = rig({ keepAlive: 2, pingTimeoutMs: 800 });
        patient.open(0);
        t.equal(patient.session.nextDeadline(), 2_000);
        patient.session.tick(2_000);
        t.equal(patient.session.nextDeadline(), 2_800);
        const capped = rig({ keepAlive: 2, pingTimeoutMs: 60_000 });
        capped.open(0);
        capped.session.tick(2_000);
        t.equal(capped.session.nextDeadline(), 3_000);
        return byDefault;
      },
    },
    {
      name: 'keepalive: a QoS 0 sender that hears nothing still pings',
      run: (t) => {
        const r = rig({ keepAlive: 10 });
        r.open(0);
        r.take();
        const sent: string[] = [];
        for (let now = 1_000; now <= 12_000; now += 1_000) {
          r.session.publish('t', bytes('x'), { qos: 0 }, now);
          const deadline = r.session.nextDeadline() ?? -1;
          if (deadline <= now) r.session.tick(now);
          sent.push(...r.take().map((s) => `${now} ${s}`));
        }
        const pings = sent.filter((s) => s.endsWith('PINGREQ'));
        t.equal(pings, ['10000 PINGREQ']);
        return pings;
      },
    },
    {
      name: 'reconnect with a session: unacknowledged PUBLISH resent with DUP and the same id, queued ones after',
      run: (t) => {
        const r = rig({ cleanSession: false });
        r.open(0);
        r.take();
        r.events();
        for (const n of [1, 2, 3]) r.session.publish('tele', bytes('m' + n), { qos: 1, token: 'm' + n }, 1);
        r.deliver({ type: PacketType.PUBACK, packetId: 1 }, 2);
        r.session.connectionLost('socket closed', 3);
        t.equal(r.session.publish('tele', bytes('m4'), { qos: 1, token: 'm4' }, 4), 4, 'offline: id now, sent on connect');
        t.equal(r.session.publish('tele', bytes('m5'), { qos: 0 }, 4), PUBLISH_DROPPED);
        r.take();
        r.session.connect({}, 5);
        r.deliver({ type: PacketType.CONNACK, sessionPresent: true, returnCode: ConnackCode.ACCEPTED }, 6);
        const resent = r.take();
        t.equal(resent, ['CONNECT dev1 clean=0 ka=60', 'PUBLISH tele q1 id2 dup 2B', 'PUBLISH tele q1 id3 dup 2B', 'PUBLISH tele q1 id4 2B']);
        for (const id of [2, 3, 4]) r.deliver({ type: PacketType.PUBACK, packetId: id }, 7);
        const events = r.events();
        t.equal(events, ['acked id1 m1', 'close CONNECTION_LOST', 'connected present=1', 'acked id2 m2', 'acked id3 m3', 'acked id4 m4']);
        return { resent, events };
      },
    },
    {
      name: 'what onConnected publishes and subscribes is sent once, after the resends and resubscriptions',
      run: (t) => {
        let n = 0;
        const r = rig({ cleanSession: false }, {
          onConnected: (s) => {
            n++;
            s.publish('tele', bytes('c' + n), { qos: 1, token: 'c' + n }, 0);
            if (n === 2) s.subscribe([{ topicFilter: 'cmd/#', qos: 1 }], 0);
          },
        });
        r.open(0);
        const first = r.take();
        t.equal(first, ['CONNECT dev1 clean=0 ka=60', 'PUBLISH tele q1 id1 2B'], 'a fresh connection: sent once, no DUP copy');
        r.session.subscribe([{ topicFilter: 'cmd/#', qos: 1 }], 1);
        r.deliver({ type: PacketType.SUBACK, packetId: 2, granted: [1] }, 1);
        r.session.publish('tele', bytes('m'), { qos: 1, token: 'm' }, 1);
        r.session.connectionLost('socket closed', 2);
        r.take();
        r.open(3, true);
        const second = r.take();
        t.equal(second, ['CONNECT dev1 clean=0 ka=60', 'PUBLISH tele q1 id1 dup 2B', 'PUBLISH tele q1 id3 dup 1B', 'PUBLISH tele q1 id4 2B', 'SUBSCRIBE id5 cmd/#:1']);
        for (const id of [1, 3, 4]) r.deliver({ type: PacketType.PUBACK, packetId: id }, 4);
        const events = r.events();
        t.equal(events, ['connected present=0', 'subscribed id2 1', 'close CONNECTION_LOST', 'connected present=1', 'acked id1 c1', 'acked id3 m', 'acked id4 c2']);
        return { first, second, events };
      },
    },
    {
      name: 'reconnect: a QoS 2 message past PUBREC gets PUBREL again, not PUBLISH',
      run: (t) => {
        const r = rig({ cleanSession: false });
        r.open(0);
        r.session.publish('q2', bytes('a'), { qos: 2, token: 'a' }, 1);
        r.session.publish('q2', bytes('b'), { qos: 2, token: 'b' }, 1);
        r.deliver({ type: PacketType.PUBREC, packetId: 1 }, 2);
        r.take();
        r.session.connectionLost('gone', 3);
        r.open(4, true);
        const resent = r.take();
        t.equal(resent, ['CONNECT dev1 clean=0 ka=60', 'PUBREL id1', 'PUBLISH q2 q2 id2 dup 1B']);
        r.deliver({ type: PacketType.PUBCOMP, packetId: 1 }, 5);
        r.deliver({ type: PacketType.PUBREC, packetId: 2 }, 5);
        r.deliver({ type: PacketType.PUBCOMP, packetId: 2 }, 6);
        const tail = r.events().filter((e) => e.startsWith('acked'));
        t.equal(tail, ['acked id1 a', 'acked id2 b']);
        return { resent, tail };
      },
    },
    {
      name: 'subscriptions are sent again when CONNACK says no session is present',
      run: (t) => {
        const r = rig({ cleanSession: false });
        r.open(0);
        t.equal(r.session.subscribe([{ topicFilter: 'devices/dev1/messages/#', qos: 1 }, { topicFilter: '$iothub/methods/POST/#', qos: 0 }], 1), 1);
        r.deliver({ type: PacketType.SUBACK, packetId: 1, granted: [1, 0] }, 2);
        r.session.subscribe([{ topicFilter: 'later/+', qos: 2 }], 3); // id 2, never acknowledged
        r.take();
        r.session.connectionLost('gone', 4);
        r.open(5, true);
        const withSession = r.take();
        t.equal(withSession, ['CONNECT dev1 clean=0 ka=60', 'SUBSCRIBE id3 later/+:2'], 'session present: only the unconfirmed one');
        r.session.connectionLost('gone', 6);
        r.open(7, false);
        const withoutSession = r.take();
        t.equal(withoutSession, ['CONNECT dev1 clean=0 ka=60', 'SUBSCRIBE id4 devices/dev1/messages/#:1,$iothub/methods/POST/#:0,later/+:2']);
        r.deliver({ type: PacketType.SUBACK, packetId: 4, granted: [1, 0, 0] }, 8);
        t.equal(r.session.unsubscribe(['later/+'], 9), 5);
        r.deliver({ type: PacketType.UNSUBACK, packetId: 5 }, 10);
        r.session.connectionLost('gone', 11);
        r.open(12, false);
        const afterUnsubscribe = r.take();
        t.equal(afterUnsubscribe, ['UNSUBSCRIBE id5 later/+', 'CONNECT dev1 clean=0 ka=60', 'SUBSCRIBE id6 devices/dev1/messages/#:1,$iothub/methods/POST/#:0']);
        const events = r.events().filter((e) => !e.startsWith('close') && !e.startsWith('connected'));
        return { withSession, withoutSession, afterUnsubscribe, events };
      },
    },
    {
      name: 'a filter the broker refuses (0x80) is not sent again on resubscription',
      run: (t) => {
        const r = rig();
        r.open(0);
        r.session.subscribe([{ topicFilter: 'ok/#', qos: 1 }, { topicFilter: 'denied/#', qos: 1 }], 1);
        r.deliver({ type: PacketType.SUBACK, packetId: 1, granted: [1, 0x80] }, 2);
        r.take();
        r.session.connectionLost('gone', 3);
        r.open(4, false);
        const sent = r.take();
        t.equal(sent, ['CONNECT dev1 clean=1 ka=60', 'SUBSCRIBE id2 ok/#:1']);
        return { sent, events: r.events() };
      },
    },
    {
      name: 'subscribe while offline is sent on connect; invalid filters are refused with a named error',
      run: (t) => {
        const r = rig();
        t.equal(r.session.subscribe([{ topicFilter: 'a/#', qos: 1 }], 0), 0);
        t.equal(r.session.subscribe([{ topicFilter: 'a/#/b', qos: 1 }], 0), -1);
        t.equal(r.session.publish('a/+', bytes('x'), { qos: 1 }, 0), PUBLISH_INVALID);
        r.open(1);
        const sent = r.take();
        t.equal(sent, ['CONNECT dev1 clean=1 ka=60', 'SUBSCRIBE id1 a/#:1']);
        const events = r.events();
        t.equal(events, ['error INVALID_TOPIC_FILTER', 'error WILDCARD_IN_TOPIC', 'connected present=0']);
        return { sent, events };
      },
    },
    {
      name: 'in-flight window: at most N unacknowledged, the rest queued in order up to a bound',
      run: (t) => {
        const r = rig({ inflightWindow: 3, maxQueued: 2 });
        r.open(0);
        r.take();
        r.events();
        const results = [1, 2, 3, 4, 5, 6].map((n) => r.session.publish('w', bytes(String(n)), { qos: 1, token: n }, 1));
        t.equal(results, [1, 2, 3, PUBLISH_QUEUED, PUBLISH_QUEUED, PUBLISH_REJECTED]);
        t.equal(r.session.canSend, false);
        const first = r.take();
        t.equal(first.length, 3);
        r.deliver({ type: PacketType.PUBACK, packetId: 2 }, 2);
        const afterOne = r.take();
        t.equal(afterOne, ['PUBLISH w q1 id4 1B']);
        r.deliver({ type: PacketType.PUBACK, packetId: 1 }, 3);
        r.deliver({ type: PacketType.PUBACK, packetId: 3 }, 3);
        r.deliver({ type: PacketType.PUBACK, packetId: 4 }, 3);
        r.deliver({ type: PacketType.PUBACK, packetId: 5 }, 3);
        t.equal(r.session.inflightCount + r.session.queuedCount, 0);
        const events = r.events();
        t.equal(events, ['acked id2 2', 'acked id1 1', 'acked id3 3', 'acked id4 4', 'acked id5 5']);
        return { results, first, afterOne, events };
      },
    },
    {
      name: 'packet ids skip ids still in use, across the 65535 wrap',
      run: (t) => {
        const ids = new PacketIds();
        const used = new Set([65535, 1, 3]);
        ids.seek(65533);
        const got = [0, 1, 2].map(() => {
          const id = ids.next((x) => used.has(x));
          used.add(id);
          return id;
        });
        t.equal(got, [65534, 2, 4]);
        const full = new PacketIds();
        t.equal(full.next(() => true), 0);
        return got;
      },
    },
    {
      name: 'encodes into one reused buffer that grows only for a larger packet, never for a large PUBLISH payload (sent as it is)',
      run: (t) => {
        const r = rig();
        r.open(0);
        const initial = r.session.outBufferBytes;
        r.session.publish('small', bytes('1'), { qos: 1 }, 1);
        r.session.publish('small', bytes('2'), { qos: 1 }, 1);
        const big = new Uint8Array(5000);
        r.session.publish('big', big, { qos: 1 }, 1);
        r.session.publish('small', bytes('3'), { qos: 0 }, 1);
        r.session.publish('big', big, { qos: 0 }, 1);
        const b = r.sendBuffers;
        t.equal(b.length, 8, 'CONNECT, two small, big header + payload, small, big header + payload');
        t.ok(b[0] === b[1] && b[1] === b[2] && b[2] === b[3] && b[3] === b[5] && b[5] === b[6], 'CONNECT, small PUBLISHes and large PUBLISHes\' headers share a buffer');
        t.ok(b[4] === big.buffer && b[7] === big.buffer, 'a large payload is handed over as it is');
        t.equal(r.session.outBufferBytes, initial, 'no growth for a 5000-byte payload');
        // A SUBSCRIBE larger than the buffer grows it; the larger buffer is then kept.
        const filters: string[] = [];
        for (let i = 0; i < 40; i++) filters.push(`devices/thermo-01/commands/filter-${i}/#`);
        r.session.subscribe(filters.map((topicFilter) => ({ topicFilter, qos: 1 as const })), 2);
        r.session.publish('small', bytes('4'), { qos: 1 }, 3);
        t.ok(b[8] !== b[6], 'a larger packet grows it');
        t.ok(b[9] === b[8], 'then the larger buffer is kept');
        t.ok(r.session.outBufferBytes > initial && b[8].byteLength === r.session.outBufferBytes, 'outBufferBytes is its size');
        return { initial, grown: r.session.outBufferBytes, calls: b.length };
      },
    },
    {
      name: 'a 9 KB PUBLISH goes to onSend as its header from the small buffer, then the payload itself (QoS 0/1/2, varint sizes, the threshold), and again with DUP after a reconnect',
      run: (t) => {
        const r = rig({ cleanSession: false });
        r.open(0);
        r.sends();
        const initial = r.session.outBufferBytes;
        t.ok(initial <= 1024, `a small buffer: ${initial}`);
        const topic = 'devices/thermo-01/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8';
        const telemetry = patterned(9_000, 1);
        const out: string[] = [];
        // QoS 1, the device's telemetry: publish()'s hot path hands it on.
        const id = r.session.publish(topic, telemetry, { qos: 1, token: 'T' }, 1);
        out.push(checkSplitPublish(t, r.sends(), telemetry, 4, 'QoS 1'));
        t.equal(r.session.outBufferBytes, initial, 'QoS 1: the buffer did not grow');
        // QoS 0 (the general path), QoS 2 to a non-ASCII topic, retain, a 3-byte remaining length.
        const q0 = patterned(9_000, 2);
        t.equal(r.session.publish(topic, q0, { qos: 0 }, 2), 0);
        out.push(checkSplitPublish(t, r.sends(), q0, 4, 'QoS 0'));
        const q2 = patterned(20_000, 3);
        const id2 = r.session.publish('caf\u00e9/\u6e29\u5ea6', q2, { qos: 2, retain: true, token: 'Q2' }, 2);
        out.push(checkSplitPublish(t, r.sends(), q2, 4, 'QoS 2'));
        // Just above the threshold: two calls too.
        const above = patterned(SPLIT_PAYLOAD_BYTES + 1, 5);
        const idAbove = r.session.publish('t', above, { qos: 1 }, 3);
        out.push(checkSplitPublish(t, r.sends(), above, 4, 'threshold + 1'));
        r.deliver({ type: PacketType.PUBACK, packetId: idAbove }, 4);
        // The connection drops before the broker acknowledges the telemetry and the QoS 2 message:
        // both go again, with DUP and their ids, still without a copy.
        r.session.connectionLost('cut', 5);
        r.sends();
        r.session.connect({}, 6);
        const connect = r.sends();
        t.equal(connect.length, 1, 'CONNECT');
        r.deliver({ type: PacketType.CONNACK, sessionPresent: true, returnCode: ConnackCode.ACCEPTED }, 6);
        const resent = r.sends();
        t.equal(resent.length, 4, 'two PUBLISHes resent, two calls each');
        out.push(checkSplitPublish(t, resent.slice(0, 2), telemetry, 4, 'QoS 1 DUP'));
        out.push(checkSplitPublish(t, resent.slice(2), q2, 4, 'QoS 2 DUP'));
        r.deliver({ type: PacketType.PUBACK, packetId: id }, 7);
        r.deliver({ type: PacketType.PUBREC, packetId: id2 }, 7);
        r.deliver({ type: PacketType.PUBCOMP, packetId: id2 }, 7);
        t.equal(r.sends().length, 1, 'PUBREL');
        t.equal(r.session.inflightCount, 0);
        t.equal(r.session.outBufferBytes, initial, 'the buffer never grew');
        // A payload of exactly the threshold is copied, one call; the buffer stays within 1 KB.
        const at = patterned(SPLIT_PAYLOAD_BYTES, 4);
        r.session.publish('t', at, { qos: 1 }, 8);
        const whole = r.sends();
        t.equal(whole.length, 1, 'a payload of exactly the threshold: one call');
        t.equal(whole[0].copy.length, 1 + 2 + 2 + 1 + 2 + SPLIT_PAYLOAD_BYTES, 'the whole packet: fixed header, topic, id, payload');
        t.ok(r.session.outBufferBytes <= 1024, `at most 1 KB: ${r.session.outBufferBytes}`);
        // A small message: one call from the buffer.
        r.session.publish(topic, bytes('{"t":21.5}'), { qos: 1 }, 8);
        t.equal(r.sends().length, 1, 'a small message: one call');
        const events = r.events().filter((e) => e.startsWith('acked'));
        t.equal(events, [`acked id${idAbove} undefined`, `acked id${id} T`, `acked id${id2} Q2`]);
        out.push(`out=${initial},${r.session.outBufferBytes}`);
        return out;
      },
    },
    {
      name: 'maxPacketSize bounds both directions',
      run: (t) => {
        const r = rig({ maxPacketSize: 100 });
        r.open(0);
        r.events();
        t.equal(r.session.publish('t', new Uint8Array(200), { qos: 1 }, 1), PUBLISH_INVALID);
        const outbound = r.events();
        t.equal(outbound, ['error PACKET_TOO_LARGE']);
        r.deliver(inbound('t', 'x'.repeat(200), 0), 2);
        const inboundEvents = r.events();
        t.equal(inboundEvents, ['error PACKET_TOO_LARGE', 'close PROTOCOL_ERROR PACKET_TOO_LARGE']);
        return { outbound, inboundEvents };
      },
    },
    {
      name: 'disconnect sends DISCONNECT and keeps the session for the next connection',
      run: (t) => {
        const r = rig({ cleanSession: false });
        r.open(0);
        r.session.publish('x', bytes('kept'), { qos: 1, token: 'k' }, 1);
        r.take();
        r.session.disconnect(2);
        t.equal(r.take(), ['DISCONNECT']);
        t.equal(r.session.state, 'disconnected');
        t.equal(r.session.publish('x', bytes('q0'), { qos: 0 }, 3), PUBLISH_DROPPED);
        r.open(4, true);
        const resent = r.take();
        t.equal(resent, ['CONNECT dev1 clean=0 ka=60', 'PUBLISH x q1 id1 dup 4B']);
        return resent;
      },
    },
    {
      name: 'a clean session forgets inbound QoS 2 ids: a redelivery is a new message',
      run: (t) => {
        const r = rig({ cleanSession: true });
        r.open(0);
        r.deliver(inbound('c', 'one', 2, 9), 1);
        r.session.connectionLost('gone', 2);
        r.open(3, false);
        r.deliver(inbound('c', 'one', 2, 9, true), 4);
        const messages = r.events().filter((e) => e.startsWith('message'));
        t.equal(messages, ['message c q2 one', 'message c q2 dup one']);
        return messages;
      },
    },
  ],
};
