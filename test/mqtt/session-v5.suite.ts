/** MQTT 5.0 session vectors in simulated time; they run in Node and inside XS. */
import type { Suite } from '../harness';
import { ConnackCode, PacketType } from '../../src/mqtt/packets';
import { Decoder } from '../../src/mqtt/decoder';
import { PUBLISH_INVALID, PUBLISH_QUEUED, Session, type EnhancedAuth } from '../../src/mqtt/session';
import { bytes, checkSplitPublish, describePacket, inbound, patterned, rig } from './session-rig';

const v5 = { protocolVersion: 5 as const };

export const suite: Suite = {
  name: 'mqtt-session-v5',
  cases: [
    {
      name: 'CONNECT carries the 5.0 properties and the will properties; CONNACK properties reach onConnected and apply',
      run: (t) => {
        const r = rig({
          ...v5,
          clientId: '',
          cleanSession: false,
          keepAlive: 60,
          sessionExpiryInterval: 3600,
          receiveMaximum: 5,
          topicAliasMaximum: 4,
          maxPacketSize: 4096,
          requestResponseInformation: true,
          userProperties: [['model', 'thermo']],
          will: { topic: 'd/status', payload: bytes('gone'), qos: 1, retain: true, properties: { willDelayInterval: 30, contentType: 'text/plain' } },
        });
        r.session.connect({}, 0);
        const connect = r.take();
        t.equal(connect, [
          'CONNECT  clean=0 ka=60 will=d/status {contentType=text/plain,willDelayInterval=30} v5 {maximumPacketSize=4096,receiveMaximum=5,requestResponseInformation=true,sessionExpiryInterval=3600,topicAliasMaximum=4,userProperties=model:thermo}',
        ]);
        r.deliver({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0, properties: { assignedClientIdentifier: 'auto-7', serverKeepAlive: 20, responseInformation: 'resp/' } }, 1);
        t.equal(r.events(), ['connected present=0 {assignedClientIdentifier=auto-7,responseInformation=resp/,serverKeepAlive=20}']);
        t.equal(r.session.keepAlive, 20, 'Server Keep Alive replaces the requested 60 s');
        t.equal(r.session.assignedClientIdentifier, 'auto-7');
        t.equal(r.session.nextDeadline(), 1 + 20_000, 'the next PINGREQ follows the server keep alive');
        // The next connection uses the assigned id, and the requested keep alive again until CONNACK says.
        r.session.disconnect(2);
        r.session.connect({}, 3);
        const again = r.take();
        t.equal(again[0], 'DISCONNECT');
        t.ok(again[1].startsWith('CONNECT auto-7 clean=0 ka=60 '), again[1]);
        return { connect, again };
      },
    },
    {
      name: 'a refusing 5.0 CONNACK is a named error with its reason code, never an exception',
      run: (t) => {
        const r = rig(v5);
        const out: string[] = [];
        for (const [code, reason] of [[0x86, undefined], [0x87, 'no'], [0x9c, undefined], [0x95, undefined]] as const) {
          r.session.connect({}, 0);
          r.deliver({ type: PacketType.CONNACK, sessionPresent: false, returnCode: code, properties: reason ? { reasonString: reason } : undefined }, 1);
          out.push(...r.events());
        }
        t.equal(out, [
          'error CONNACK_BAD_USERNAME_OR_PASSWORD',
          'close CONNACK_REFUSED CONNACK_BAD_USERNAME_OR_PASSWORD rc=0x86',
          'error CONNACK_NOT_AUTHORIZED',
          'close CONNACK_REFUSED CONNACK_NOT_AUTHORIZED rc=0x87 {reasonString=no}',
          'error CONNACK_REFUSED',
          'close CONNACK_REFUSED CONNACK_REFUSED rc=0x9c',
          'error CONNACK_REFUSED',
          'close CONNACK_REFUSED CONNACK_REFUSED rc=0x95',
        ]);
        t.equal(r.session.state, 'disconnected');
        return out;
      },
    },
    {
      name: 'flow control: no more QoS 1/2 PUBLISHes in flight than the server Receive Maximum; acknowledgements release the rest in order',
      run: (t) => {
        const r = rig({ ...v5, inflightWindow: 10 });
        r.open(0, false, { receiveMaximum: 2 });
        r.take();
        r.events();
        const results: number[] = [];
        for (let i = 0; i < 5; i++) results.push(r.session.publish('t', bytes('m' + i), { qos: 1, token: i }, 1));
        t.equal(results, [1, 2, PUBLISH_QUEUED, PUBLISH_QUEUED, PUBLISH_QUEUED]);
        const first = r.take();
        t.equal(first, ['PUBLISH t q1 id1 2B', 'PUBLISH t q1 id2 2B']);
        r.deliver({ type: PacketType.PUBACK, packetId: 1 }, 2);
        const second = r.take();
        t.equal(second, ['PUBLISH t q1 id3 2B']);
        r.deliver({ type: PacketType.PUBACK, packetId: 2 }, 3);
        r.deliver({ type: PacketType.PUBACK, packetId: 3 }, 3);
        const rest = r.take();
        t.equal(rest, ['PUBLISH t q1 id4 2B', 'PUBLISH t q1 id5 2B']);
        t.equal(r.session.inflightCount, 2);
        return { first, second, rest, events: r.events() };
      },
    },
    {
      name: 'flow control across a reconnect: a smaller Receive Maximum resends only that many (DUP), the rest go as slots free, still DUP',
      run: (t) => {
        const r = rig({ ...v5, cleanSession: false, sessionExpiryInterval: 600 });
        r.open(0);
        r.take();
        for (let i = 0; i < 4; i++) r.session.publish('t', bytes('x'), { qos: 1 }, 1);
        t.equal(r.take().length, 4);
        r.session.connectionLost('cut', 2);
        r.session.connect({}, 3);
        r.take();
        r.deliver({ type: PacketType.CONNACK, sessionPresent: true, returnCode: 0, properties: { receiveMaximum: 2 } }, 4);
        const resent = r.take();
        t.equal(resent, ['PUBLISH t q1 id1 dup 1B', 'PUBLISH t q1 id2 dup 1B']);
        r.deliver({ type: PacketType.PUBACK, packetId: 2 }, 5);
        const next = r.take();
        t.equal(next, ['PUBLISH t q1 id3 dup 1B']);
        r.deliver({ type: PacketType.PUBACK, packetId: 1 }, 6);
        const last = r.take();
        t.equal(last, ['PUBLISH t q1 id4 dup 1B']);
        return { resent, next, last };
      },
    },
    {
      name: 'our Receive Maximum: a server exceeding it with QoS 2 PUBLISHes is a protocol error, answered with DISCONNECT 0x93',
      run: (t) => {
        const r = rig({ ...v5, receiveMaximum: 2 });
        r.open(0);
        r.take();
        r.events();
        r.deliver(inbound('a', '1', 2, 1), 1);
        r.deliver(inbound('a', '2', 2, 2), 1);
        r.deliver({ type: PacketType.PUBREL, packetId: 1 }, 2);
        r.deliver(inbound('a', '3', 2, 3), 2); // one outstanding again: allowed
        r.deliver(inbound('a', '4', 2, 4), 3); // a third unacknowledged by PUBCOMP: too many
        const sent = r.take();
        const events = r.events();
        t.equal(sent, ['PUBREC id1', 'PUBREC id2', 'PUBCOMP id1', 'PUBREC id3', 'DISCONNECT rc=0x93']);
        t.equal(events, ['message a q2 1', 'message a q2 2', 'message a q2 3', 'error RECEIVE_MAXIMUM_EXCEEDED', 'close PROTOCOL_ERROR RECEIVE_MAXIMUM_EXCEEDED']);
        return { sent, events };
      },
    },
    {
      name: 'maximum packet size: a PUBLISH over the server maximum is refused here (PACKET_TOO_LARGE), not sent',
      run: (t) => {
        const r = rig({ ...v5, maxPacketSize: 1000 });
        r.open(0, false, { maximumPacketSize: 40 });
        r.take();
        r.events();
        const big = r.session.publish('t', new Uint8Array(40), { qos: 1 }, 1);
        const small = r.session.publish('t', new Uint8Array(20), { qos: 0 }, 1);
        t.equal(big, PUBLISH_INVALID);
        t.equal(small, 0);
        t.equal(r.events(), ['error PACKET_TOO_LARGE']);
        t.equal(r.take(), ['PUBLISH t q0 20B']);
        return [big, small];
      },
    },
    {
      name: 'outbound topic aliases: within the server maximum, the topic only on first use, none above it, reset per connection',
      run: (t) => {
        const r = rig(v5);
        r.open(0, false, { topicAliasMaximum: 1 });
        r.take();
        r.session.publish('dev/telemetry', bytes('a'), { qos: 0 }, 1);
        r.session.publish('dev/telemetry', bytes('b'), { qos: 1, properties: { contentType: 'application/json' } }, 1);
        r.session.publish('dev/other', bytes('c'), { qos: 0 }, 1);
        const first = r.take();
        t.equal(first, [
          'PUBLISH dev/telemetry q0 1B {topicAlias=1}',
          'PUBLISH  q1 id1 1B {contentType=application/json,topicAlias=1}',
          'PUBLISH dev/other q0 1B',
        ]);
        r.session.connectionLost('cut', 2);
        r.open(3, false, { topicAliasMaximum: 1 });
        const second = r.take().slice(1);
        // The unacknowledged message is resent with its topic: the alias died with the connection.
        t.equal(second, ['PUBLISH dev/telemetry q1 id1 dup 1B {contentType=application/json,topicAlias=1}']);
        r.open(4); // a server without aliases
        t.equal(r.take().slice(1), ['PUBLISH dev/telemetry q1 id1 dup 1B {contentType=application/json}']);
        return { first, second };
      },
    },
    {
      name: 'a 9 KB 5.0 PUBLISH goes to onSend as its header (topic or alias, properties) from the small buffer, then the payload itself; resent with DUP after a reconnect',
      run: (t) => {
        const r = rig({ ...v5, cleanSession: false, sessionExpiryInterval: 60 });
        r.open(0, false, { topicAliasMaximum: 2 });
        r.sends();
        const initial = r.session.outBufferBytes;
        t.ok(initial <= 1024, `a small buffer: ${initial}`);
        const topic = 'devices/thermo-01/messages/events/';
        const telemetry = patterned(9_000, 1);
        const out: string[] = [];
        // Aliased without properties of its own (the one-pass path): the topic and its alias, then the alias alone.
        const id1 = r.session.publish(topic, telemetry, { qos: 1, token: 'A' }, 1);
        out.push(checkSplitPublish(t, r.sends(), telemetry, 5, 'first use of the alias'));
        const second = patterned(9_000, 2);
        const id2 = r.session.publish(topic, second, { qos: 1, token: 'B' }, 1);
        out.push(checkSplitPublish(t, r.sends(), second, 5, 'the alias alone'));
        // With properties (the general encoder), QoS 0 and QoS 2, one over 16 KB (a 3-byte remaining length).
        const withProps = patterned(9_000, 3);
        const id3 = r.session.publish(topic, withProps, { qos: 1, token: 'C', properties: { contentType: 'application/json', userProperties: [['sensors', '24']] } }, 2);
        out.push(checkSplitPublish(t, r.sends(), withProps, 5, 'with properties'));
        const q0 = patterned(1_000, 4);
        t.equal(r.session.publish('other/topic', q0, { qos: 0, properties: { messageExpiryInterval: 60 } }, 2), 0);
        out.push(checkSplitPublish(t, r.sends(), q0, 5, 'QoS 0'));
        const q2 = patterned(20_000, 5);
        const id4 = r.session.publish('third', q2, { qos: 2, token: 'D' }, 2);
        out.push(checkSplitPublish(t, r.sends(), q2, 5, 'QoS 2'));
        t.equal(r.session.outBufferBytes, initial, 'the buffer did not grow');
        r.deliver({ type: PacketType.PUBACK, packetId: id2 }, 3);
        // Cut before the other acknowledgements; the session is present: resent with DUP, the topic
        // again (aliases die with the connection), properties kept, the payloads not copied.
        r.session.connectionLost('cut', 4);
        r.sends();
        r.open(5, true, { topicAliasMaximum: 2 });
        const resent = r.sends().slice(1); // after the CONNECT
        t.equal(resent.length, 6, 'three PUBLISHes resent, two calls each');
        out.push(checkSplitPublish(t, resent.slice(0, 2), telemetry, 5, 'DUP 1'));
        out.push(checkSplitPublish(t, resent.slice(2, 4), withProps, 5, 'DUP 3'));
        out.push(checkSplitPublish(t, resent.slice(4), q2, 5, 'DUP 4'));
        r.deliver({ type: PacketType.PUBACK, packetId: id1 }, 6);
        r.deliver({ type: PacketType.PUBACK, packetId: id3 }, 6);
        r.deliver({ type: PacketType.PUBREC, packetId: id4 }, 6);
        r.deliver({ type: PacketType.PUBCOMP, packetId: id4 }, 6);
        t.equal(r.session.inflightCount, 0);
        t.equal(r.session.outBufferBytes, initial, 'the buffer never grew');
        const acked = r.events().filter((e) => e.startsWith('acked'));
        t.equal(acked, [`acked id${id2} B`, `acked id${id1} A`, `acked id${id3} C`, `acked id${id4} D`]);
        // A small message: one call from the buffer.
        r.sends();
        r.session.publish(topic, bytes('{"t":21.5}'), { qos: 1 }, 7);
        const small = r.sends();
        t.equal(small.length, 1, 'a small message: one call');
        out.push(`out=${initial}`);
        return out;
      },
    },
    {
      name: 'inbound topic aliases: mapped and resolved; 0 is malformed, above our maximum or unknown is TOPIC_ALIAS_INVALID (DISCONNECT 0x94)',
      run: (t) => {
        const r = rig({ ...v5, topicAliasMaximum: 2 });
        r.open(0);
        r.take();
        r.events();
        r.deliver({ type: PacketType.PUBLISH, topic: 'cmd/a', payload: bytes('1'), qos: 0, retain: false, dup: false, properties: { topicAlias: 2 } }, 1);
        r.deliver({ type: PacketType.PUBLISH, topic: '', payload: bytes('2'), qos: 1, retain: false, dup: false, packetId: 5, properties: { topicAlias: 2 } }, 1);
        const ok = r.events();
        t.equal(ok, ['message cmd/a q0 1 {topicAlias=2}', 'message cmd/a q1 2 {topicAlias=2}']);
        r.deliver({ type: PacketType.PUBLISH, topic: 'x', payload: bytes('3'), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } }, 2);
        const above = r.events();
        t.equal(above, ['error TOPIC_ALIAS_INVALID', 'close PROTOCOL_ERROR TOPIC_ALIAS_INVALID']);
        t.equal(r.take(), ['PUBACK id5', 'DISCONNECT rc=0x94']);
        r.open(3);
        r.take();
        r.deliver({ type: PacketType.PUBLISH, topic: '', payload: bytes('4'), qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } }, 4);
        const unknown = r.events();
        t.equal(unknown, ['connected present=0', 'error TOPIC_ALIAS_INVALID', 'close PROTOCOL_ERROR TOPIC_ALIAS_INVALID']);
        r.open(5);
        r.events();
        r.deliverBytes([0x30, 0x07, 0x00, 0x01, 0x74, 0x03, 0x23, 0x00, 0x00], 6); // alias 0 on the wire
        const zero = r.events();
        t.equal(zero, ['error TOPIC_ALIAS_INVALID', 'close PROTOCOL_ERROR TOPIC_ALIAS_INVALID']);
        return { ok, above, unknown, zero };
      },
    },
    {
      name: 'reason codes on acknowledgements: a refusing PUBACK or PUBREC ends the message with its code (no PUBREL, no resend); unknown ids get 0x92',
      run: (t) => {
        const r = rig(v5);
        r.open(0);
        r.take();
        r.session.publish('t', bytes('a'), { qos: 1, token: 'A' }, 1);
        r.session.publish('t', bytes('b'), { qos: 2, token: 'B' }, 1);
        r.session.publish('t', bytes('c'), { qos: 1, token: 'C' }, 1);
        r.take();
        r.events();
        r.deliver({ type: PacketType.PUBACK, packetId: 1, reasonCode: 0x87, properties: { reasonString: 'denied' } }, 2);
        r.deliver({ type: PacketType.PUBREC, packetId: 2, reasonCode: 0x97 }, 2);
        r.deliver({ type: PacketType.PUBACK, packetId: 3, reasonCode: 0x10 }, 2);
        r.deliver({ type: PacketType.PUBREC, packetId: 9 }, 3);
        r.deliver({ type: PacketType.PUBREL, packetId: 8 }, 3);
        const events = r.events();
        const sent = r.take();
        t.equal(events, ['acked id1 A rc=0x87', 'acked id2 B rc=0x97', 'acked id3 C rc=0x10']);
        t.equal(sent, ['PUBREL id9 rc=0x92', 'PUBCOMP id8 rc=0x92']);
        t.equal(r.session.inflightCount, 0);
        return { events, sent };
      },
    },
    {
      name: 'QoS 2: the PUBREC 0x10 No matching subscribers reaches onPublishAcked with the PUBCOMP 0x00 (as a PUBACK 0x10 does), also across a reconnect; a PUBCOMP 0x92 reports its own code',
      run: (t) => {
        const r = rig({ ...v5, cleanSession: false });
        r.open(0);
        r.take();
        r.session.publish('t', bytes('a'), { qos: 2, token: 'A' }, 1);
        r.session.publish('t', bytes('b'), { qos: 2, token: 'B' }, 1);
        r.session.publish('t', bytes('c'), { qos: 2, token: 'C' }, 1);
        r.take();
        r.events();
        r.deliver({ type: PacketType.PUBREC, packetId: 1, reasonCode: 0x10 }, 2);
        r.deliver({ type: PacketType.PUBREC, packetId: 2 }, 2);
        r.deliver({ type: PacketType.PUBREC, packetId: 3, reasonCode: 0x10 }, 2);
        r.deliver({ type: PacketType.PUBCOMP, packetId: 2 }, 3);
        r.deliver({ type: PacketType.PUBCOMP, packetId: 3, reasonCode: 0x92 }, 3);
        const first = [...r.take(), ...r.events()];
        // Message 1's PUBCOMP is lost: the reconnect resends its PUBREL; the 0x10 is still reported.
        r.session.connectionLost('cut', 4);
        r.open(5, true);
        r.deliver({ type: PacketType.PUBCOMP, packetId: 1 }, 6);
        const second = [...r.take(), ...r.events()];
        t.equal(first, ['PUBREL id1', 'PUBREL id2', 'PUBREL id3', 'acked id2 B', 'acked id3 C rc=0x92']);
        t.equal(second.filter((s) => !s.startsWith('close') && !s.startsWith('CONNECT') && !s.startsWith('connected')), ['PUBREL id1', 'acked id1 A rc=0x10']);
        t.equal(r.session.inflightCount, 0);
        return { first, second };
      },
    },
    {
      name: 'session recovery in 5.0 across a reconnect with the session present: QoS 1 resent with DUP, PUBREL resent for a QoS 2 past PUBREC, an inbound QoS 2 redelivery delivered once',
      run: (t) => {
        const r = rig({ ...v5, cleanSession: false, sessionExpiryInterval: 60 });
        r.open(0);
        r.take();
        r.events();
        r.session.publish('up', bytes('one'), { qos: 1, token: 'A' }, 1);
        r.session.publish('up', bytes('two'), { qos: 2, token: 'B' }, 1);
        r.deliver({ type: PacketType.PUBREC, packetId: 2 }, 2);
        r.deliver({ type: PacketType.PUBLISH, topic: 'down', payload: bytes('once'), qos: 2, retain: false, dup: false, packetId: 40 }, 2);
        const before = [...r.take(), ...r.events()];
        // The connection drops before PUBACK 1, PUBCOMP 2 and the broker's PUBREL 40.
        r.session.connectionLost('cut', 3);
        r.open(4, true);
        r.deliver({ type: PacketType.PUBLISH, topic: 'down', payload: bytes('once'), qos: 2, retain: false, dup: true, packetId: 40 }, 5);
        r.deliver({ type: PacketType.PUBREL, packetId: 40 }, 5);
        r.deliver({ type: PacketType.PUBACK, packetId: 1 }, 6);
        r.deliver({ type: PacketType.PUBCOMP, packetId: 2 }, 6);
        const after = [...r.take(), ...r.events()].filter((s) => !s.startsWith('CONNECT') && !s.startsWith('connected') && !s.startsWith('close'));
        t.equal(before, ['PUBLISH up q1 id1 3B', 'PUBLISH up q2 id2 3B', 'PUBREL id2', 'PUBREC id40', 'message down q2 once']);
        t.equal(after, ['PUBLISH up q1 id1 dup 3B', 'PUBREL id2', 'PUBREC id40', 'PUBCOMP id40', 'acked id1 A', 'acked id2 B']);
        return { before, after };
      },
    },
    {
      name: 'a server DISCONNECT closes with SERVER_DISCONNECT, its reason code and properties; the session state stays for the reconnect',
      run: (t) => {
        const r = rig({ ...v5, cleanSession: false, sessionExpiryInterval: 60 });
        r.open(0);
        r.session.publish('t', bytes('a'), { qos: 1 }, 1);
        r.take();
        r.events();
        r.deliver({ type: PacketType.DISCONNECT, reasonCode: 0x8e, properties: { reasonString: 'another connection' } }, 2);
        const events = r.events();
        t.equal(events, ['close SERVER_DISCONNECT rc=0x8e {reasonString=another connection}']);
        t.equal(r.session.state, 'disconnected');
        t.equal(r.take(), [], 'nothing is sent back');
        r.session.connect({}, 3);
        r.deliver({ type: PacketType.CONNACK, sessionPresent: true, returnCode: ConnackCode.ACCEPTED }, 4);
        t.equal(r.take().slice(1), ['PUBLISH t q1 id1 dup 1B']);
        return events;
      },
    },
    {
      name: 'a protocol error is answered with a DISCONNECT naming it (0x81 malformed, 0x82 protocol error), then closes',
      run: (t) => {
        const r = rig(v5);
        r.open(0);
        r.take();
        r.events();
        r.deliverBytes([0x40, 0x03, 0x00, 0x01, 0x05], 1); // PUBACK reason code 0x05: not defined
        const malformed = [...r.events(), ...r.take()];
        t.equal(malformed, ['error INVALID_REASON_CODE', 'close PROTOCOL_ERROR INVALID_REASON_CODE', 'DISCONNECT rc=0x81']);
        r.open(2);
        r.take();
        r.events();
        r.deliver({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: 'x', qos: 0 }] }, 3);
        const unexpected = [...r.events(), ...r.take()];
        t.equal(unexpected, ['error UNEXPECTED_PACKET', 'close PROTOCOL_ERROR UNEXPECTED_PACKET', 'DISCONNECT rc=0x82']);
        return { malformed, unexpected };
      },
    },
    {
      name: 'subscription options and identifiers: sent, kept for the resubscription (one SUBSCRIBE per identifier), refused filters forgotten',
      run: (t) => {
        const r = rig(v5);
        r.open(0);
        r.take();
        r.events();
        const a = r.session.subscribe([{ topicFilter: 'cmd/#', qos: 1, noLocal: true, retainHandling: 2 }], 1, 7);
        const b = r.session.subscribe([{ topicFilter: 'cfg', qos: 0, retainAsPublished: true }, { topicFilter: 'bad/#', qos: 1 }], 1);
        const first = r.take();
        t.equal(first, ['SUBSCRIBE id1 cmd/#:1:nl:rh2 {subscriptionIdentifier=7}', 'SUBSCRIBE id2 cfg:0:rap,bad/#:1']);
        r.deliver({ type: PacketType.SUBACK, packetId: a, granted: [1] }, 2);
        r.deliver({ type: PacketType.SUBACK, packetId: b, granted: [0, 0x87] }, 2);
        t.equal(r.events(), ['subscribed id1 1', 'subscribed id2 0,135']);
        r.session.connectionLost('cut', 3);
        r.open(4, false);
        const again = r.take();
        // The Maximum Packet Size announced is the session's maxPacketSize (default 257 KiB).
        t.equal(again, ['CONNECT dev1 clean=1 ka=60 v5 {maximumPacketSize=263168}', 'SUBSCRIBE id3 cmd/#:1:nl:rh2 {subscriptionIdentifier=7}', 'SUBSCRIBE id4 cfg:0:rap']);
        t.equal(r.session.subscribe([{ topicFilter: 'x', qos: 0 }], 5, 0), -1, 'identifier 0 is refused');
        r.session.unsubscribe(['cfg'], 6);
        r.deliver({ type: PacketType.UNSUBACK, packetId: 5, reasonCodes: [0x11] }, 6);
        t.equal(r.events().slice(-2), ['error INVALID_PROPERTY', 'unsubscribed id5 17']);
        return { first, again };
      },
    },
    {
      name: 'request/response and message properties: what publish() is given goes out; what arrives reaches onMessage',
      run: (t) => {
        const r = rig(v5);
        r.open(0);
        r.take();
        r.events();
        r.session.publish('svc/req', bytes('{}'), {
          qos: 1,
          properties: { responseTopic: 'dev/res', correlationData: bytes('\u0001\u0002'), messageExpiryInterval: 30, payloadFormatIndicator: true, contentType: 'application/json', userProperties: [['k', 'v'], ['k', 'w']] },
        }, 1);
        const sent = r.take();
        t.equal(sent, ['PUBLISH svc/req q1 id1 2B {contentType=application/json,correlationData=0102,messageExpiryInterval=30,payloadFormatIndicator=true,responseTopic=dev/res,userProperties=k:v|k:w}']);
        r.deliver({ type: PacketType.PUBLISH, topic: 'dev/res', payload: bytes('ok'), qos: 0, retain: false, dup: false, properties: { correlationData: bytes('\u0001\u0002'), subscriptionIdentifier: 7 } }, 2);
        const got = r.events();
        t.equal(got, ['message dev/res q0 ok {correlationData=0102,subscriptionIdentifier=7}']);
        return { sent, got };
      },
    },
    {
      name: 'the server limits refuse a PUBLISH here: QoS above Maximum QoS, retain without Retain Available',
      run: (t) => {
        const r = rig(v5);
        r.open(0, false, { maximumQoS: 1, retainAvailable: false });
        r.take();
        r.events();
        const q2 = r.session.publish('t', bytes('a'), { qos: 2 }, 1);
        const retained = r.session.publish('t', bytes('a'), { qos: 0, retain: true }, 1);
        const fine = r.session.publish('t', bytes('a'), { qos: 1 }, 1);
        t.equal([q2, retained, fine], [PUBLISH_INVALID, PUBLISH_INVALID, 1]);
        t.equal(r.events(), ['error INVALID_QOS', 'error INVALID_FIELD']);
        return [q2, retained, fine];
      },
    },
    {
      name: 'enhanced authentication: the AUTH exchange through the hook before CONNACK, and a re-authentication',
      run: (t) => {
        const log: string[] = [];
        const auth: EnhancedAuth = {
          method: 'X-CHALLENGE',
          start: () => bytes('hello'),
          challenge: (data) => {
            log.push('challenge ' + (data ? data.length : 0));
            return data && data.length > 0 ? bytes('answer') : undefined;
          },
          done: (data) => {
            log.push('done ' + (data ? data.length : 0));
            return true;
          },
        };
        const r = rig({ ...v5, auth });
        r.session.connect({}, 0);
        r.deliver({ type: PacketType.AUTH, reasonCode: 0x18, properties: { authenticationMethod: 'X-CHALLENGE', authenticationData: bytes('nonce') } }, 1);
        r.deliver({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0, properties: { authenticationMethod: 'X-CHALLENGE', authenticationData: bytes('ok') } }, 2);
        const exchange = r.take();
        t.equal(exchange, [
          'CONNECT dev1 clean=1 ka=60 v5 {authenticationData=68656c6c6f,authenticationMethod=X-CHALLENGE,maximumPacketSize=263168}',
          'AUTH rc=0x18 {authenticationData=616e73776572,authenticationMethod=X-CHALLENGE}',
        ]);
        t.equal(r.events(), ['connected present=0 {authenticationData=6f6b,authenticationMethod=X-CHALLENGE}']);
        t.ok(r.session.reauthenticate(3));
        r.deliver({ type: PacketType.AUTH, reasonCode: 0x18, properties: { authenticationMethod: 'X-CHALLENGE', authenticationData: bytes('n2') } }, 4);
        r.deliver({ type: PacketType.AUTH, reasonCode: 0x00, properties: { authenticationMethod: 'X-CHALLENGE' } }, 5);
        const reauth = r.take();
        t.equal(reauth, ['AUTH rc=0x19 {authenticationData=68656c6c6f,authenticationMethod=X-CHALLENGE}', 'AUTH rc=0x18 {authenticationData=616e73776572,authenticationMethod=X-CHALLENGE}']);
        t.equal(log, ['challenge 5', 'done 2', 'challenge 2', 'done 0']);
        t.equal(r.session.state, 'connected');
        // Without a hook, AUTH from the server is a protocol error.
        const plain = rig(v5);
        plain.open(0);
        plain.take();
        plain.events();
        plain.deliver({ type: PacketType.AUTH, reasonCode: 0x18, properties: { authenticationMethod: 'X' } }, 1);
        t.equal([...plain.events(), ...plain.take()], ['error AUTH_NOT_HANDLED', 'close PROTOCOL_ERROR AUTH_NOT_HANDLED', 'DISCONNECT rc=0x82']);
        t.equal(plain.session.reauthenticate(2), false);
        return { exchange, reauth, log };
      },
    },
    {
      name: 'a refused re-authentication closes with SERVER_DISCONNECT and its reason code, whether the server says it with DISCONNECT or, as mosquitto 2.0.11 does, with CONNACK',
      run: (t) => {
        const auth: EnhancedAuth = { method: 'X-CHALLENGE', start: () => bytes('hi'), challenge: () => bytes('wrong') };
        const results: string[][] = [];
        for (const refusal of [
          { type: PacketType.DISCONNECT, reasonCode: 0x87, properties: { reasonString: 'revoked' } } as const,
          { type: PacketType.CONNACK, sessionPresent: false, returnCode: 0x87 } as const,
        ]) {
          const r = rig({ ...v5, auth });
          r.session.connect({}, 0);
          r.deliver({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0, properties: { authenticationMethod: 'X-CHALLENGE' } }, 1);
          r.take();
          r.events();
          t.ok(r.session.reauthenticate(2));
          r.deliver({ type: PacketType.AUTH, reasonCode: 0x18, properties: { authenticationMethod: 'X-CHALLENGE', authenticationData: bytes('n') } }, 3);
          r.deliver(refusal, 4);
          const seen = [...r.take(), ...r.events()];
          t.equal(r.session.state, 'disconnected');
          results.push(seen);
        }
        t.equal(results, [
          ['AUTH rc=0x19 {authenticationData=6869,authenticationMethod=X-CHALLENGE}', 'AUTH rc=0x18 {authenticationData=77726f6e67,authenticationMethod=X-CHALLENGE}', 'close SERVER_DISCONNECT rc=0x87 {reasonString=revoked}'],
          ['AUTH rc=0x19 {authenticationData=6869,authenticationMethod=X-CHALLENGE}', 'AUTH rc=0x18 {authenticationData=77726f6e67,authenticationMethod=X-CHALLENGE}', 'close SERVER_DISCONNECT rc=0x87'],
        ]);
        // A CONNACK on an open connection with no re-authentication under way is still a protocol error.
        const r = rig({ ...v5, auth });
        r.session.connect({}, 0);
        r.deliver({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0, properties: { authenticationMethod: 'X-CHALLENGE' } }, 1);
        r.take();
        r.events();
        r.deliver({ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0x87 }, 2);
        const stray = [...r.events(), ...r.take()];
        t.equal(stray, ['error UNEXPECTED_PACKET', 'close PROTOCOL_ERROR UNEXPECTED_PACKET', 'DISCONNECT rc=0x82']);
        return { results, stray };
      },
    },
    {
      name: 'disconnect() with a 5.0 reason code and properties (Disconnect with Will Message, a new session expiry)',
      run: (t) => {
        const r = rig({ ...v5, cleanSession: false, sessionExpiryInterval: 60 });
        r.open(0);
        r.take();
        r.session.disconnect(1, 0x04, { sessionExpiryInterval: 0 });
        const sent = r.take();
        t.equal(sent, ['DISCONNECT rc=0x4 {sessionExpiryInterval=0}']);
        const v4 = rig();
        v4.open(0);
        v4.take();
        v4.session.disconnect(1, 0x04);
        t.equal(v4.take(), ['DISCONNECT'], '3.1.1 has no reason code');
        return sent;
      },
    },
    {
      name: 'PUBACKs in one chunk (40 02 id id, and 5.0 40 03 id id rc with rc 0x00 or 0x10) are acknowledged in order; other bytes after them go to the decoder',
      run: (t) => {
        const r = rig(v5);
        r.open(0);
        r.take();
        for (const token of ['A', 'B', 'C', 'D', 'E', 'F']) r.session.publish('t', bytes(token), { qos: 1, token }, 1);
        r.take();
        r.events();
        r.deliverBytes([0x40, 2, 0, 1, 0x40, 3, 0, 2, 0x10, 0x40, 3, 0, 3, 0x00], 2);
        const three = r.events();
        t.equal(three, ['acked id1 A', 'acked id2 B rc=0x10', 'acked id3 C']);
        // A 5-byte PUBACK split across chunks goes through the decoder, as does a refusing one.
        r.deliverBytes([0x40, 3, 0, 4], 3);
        r.deliverBytes([0x10, 0x40, 4, 0, 5, 0x87, 0], 3);
        const split = r.events();
        t.equal(split, ['acked id4 D rc=0x10', 'acked id5 E rc=0x87']);
        // A reason code PUBACK does not have: acknowledged up to it, then a named error.
        r.deliverBytes([0x40, 2, 0, 6, 0x40, 3, 0, 6, 0x01], 4);
        const bad = r.events();
        t.equal(bad[0], 'acked id6 F');
        t.ok(bad.length === 3 && /^error /.test(bad[1]) && /^close PROTOCOL_ERROR/.test(bad[2]), bad.join(' | '));
        t.equal(r.session.inflightCount, 0);
        const v4 = rig();
        v4.open(0);
        v4.session.publish('t', bytes('a'), { qos: 1, token: 'A' }, 1);
        v4.events();
        v4.deliverBytes([0x40, 3, 0, 1, 0x10], 2);
        const v4events = v4.events();
        t.ok(v4events.length === 2 && /^error /.test(v4events[0]), '3.1.1 has no 5-byte PUBACK: ' + v4events.join(' | '));
        return { three, split, bad, v4events };
      },
    },
    {
      name: 'a message published from onPublishAcked keeps its properties (it reuses the acknowledged one\'s slot) and resends with them',
      run: (t) => {
        const sent: string[] = [];
        const sniffer = new Decoder({ maxPacketSize: 1 << 20, protocolVersion: 5, onPacket: (p) => sent.push(describePacket(p)), onError: (e) => sent.push('UNDECODABLE ' + e.code) });
        let next = 0;
        const session: Session = new Session({ clientId: 'dev1', protocolVersion: 5, cleanSession: false, sessionExpiryInterval: 60, outboundTopicAliases: false }, {
          onSend: (b) => sniffer.push(b),
          onPublishAcked: () => {
            if (next++ === 0) session.publish('t', bytes('2'), { qos: 1, properties: { contentType: 'application/json', userProperties: [['type', 'telemetry']] } }, 2);
          },
        });
        session.connect({}, 0);
        session.receive(new Uint8Array([0x20, 3, 0, 0, 0]), 0);
        session.publish('t', bytes('1'), { qos: 1, properties: { contentType: 'text/plain' } }, 1);
        session.receive(new Uint8Array([0x40, 3, 0, 1, 0x10]), 2);
        session.connectionLost('gone', 3);
        session.connect({}, 4);
        session.receive(new Uint8Array([0x20, 3, 1, 0, 0]), 4);
        const resent = sent.filter((s) => s.indexOf('PUBLISH') === 0);
        t.equal(resent.length, 3);
        t.equal(resent[2], resent[1].replace('id2 ', 'id2 dup '));
        t.ok(resent[2].indexOf('contentType=application/json') > 0 && resent[2].indexOf('userProperties=type:telemetry') > 0, resent[2]);
        return resent;
      },
    },
  ],
};
