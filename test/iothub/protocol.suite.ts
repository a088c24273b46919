/**
 * Shared (Node + XS): connection strings, SAS signing and tokens, and IoT Hub / DPS topic
 * building and parsing. SAS expectations were computed independently with node:crypto and
 * encodeURIComponent (see sas.test.ts, which recomputes them).
 */
import type { Json, Suite } from '../harness';
import { base64Encode } from '../../src/iothub/base64';
import { ConnectionStringError, parseConnectionString } from '../../src/iothub/connection-string';
import { encodePropertyBag, parseC2dProperties, parsePropertyBag, PropertyBagError } from '../../src/iothub/properties';
import {
  dpsQueryTopic, dpsRegisterPayload, dpsRegisterTopic, dpsUsername, parseDpsPayload, parseDpsResponse, DPS_RESPONSE_SUBSCRIPTION,
} from '../../src/iothub/provisioning-topics';
import {
  buildSasToken, deriveGroupDeviceKey, dpsResourceUri, hubResourceUri, sasExpiry, sasRenewalDelayMs, SasError, sasSigningString,
} from '../../src/iothub/sas';
import { Secret } from '../../src/iothub/secret';
import {
  c2dSubscription, hubClientId, hubUsername, methodResponseTopic, parseC2dTopic, parseDesiredPatchTopic, parseMethodRequest,
  parseTwinResponse, telemetryTopic, twinGetTopic, twinPatchReportedTopic, METHODS_SUBSCRIPTION, TWIN_DESIRED_SUBSCRIPTION,
  TWIN_RESPONSE_SUBSCRIPTION,
} from '../../src/iothub/topics';
import { base64Decode } from '../../src/iothub/base64';
import { testCrypto } from './sha256';

export const DEVICE_KEY_B64 = 'dGhpcyBpcyBhIHRlc3Qga2V5IGZvciB0aGVybW8tMDE=';
export const GROUP_KEY_B64 = 'Z3JvdXAta2V5LWZvci10ZXN0aW5nLW9ubHktMDEyMzQ1Ng==';
const CS = `HostName=myhub.azure-devices.net;DeviceId=thermo-01;SharedAccessKey=${DEVICE_KEY_B64}`;

function refused(t: { ok(c: unknown, m?: string): void }, text: string): string {
  try {
    parseConnectionString(text);
  } catch (e) {
    t.ok(e instanceof ConnectionStringError, 'ConnectionStringError');
    const message = (e as Error).message;
    t.ok(message.indexOf(DEVICE_KEY_B64) < 0 && message.indexOf('bad$key') < 0, 'no secret in the message');
    return message;
  }
  t.ok(false, `should refuse: ${text.replace(DEVICE_KEY_B64, '<key>')}`);
  return '';
}

export const suite: Suite = {
  name: 'iothub/protocol',
  cases: [
    {
      name: 'connection strings: SAS, module, gateway and x509 forms',
      run(t) {
        const a = parseConnectionString(CS);
        t.equal(a.hostName, 'myhub.azure-devices.net');
        t.equal(a.deviceId, 'thermo-01');
        t.equal(a.auth, 'sas');
        t.equal(base64Encode(a.sharedAccessKey!.bytes()), DEVICE_KEY_B64);
        const b = parseConnectionString(` hostname=h.example.net ; deviceid=d1;ModuleId=m1;GatewayHostName=edge.local;SharedAccessKey=${DEVICE_KEY_B64};`);
        t.equal([b.hostName, b.deviceId, b.moduleId, b.gatewayHostName].join('|'), 'h.example.net|d1|m1|edge.local');
        t.equal(parseConnectionString(`HostName=h.example.net;DeviceId=d;GatewayHostName=edgegateway;SharedAccessKey=${DEVICE_KEY_B64}`).gatewayHostName, 'edgegateway');
        const c = parseConnectionString('HostName=h.example.net;DeviceId=d2;x509=true');
        t.equal(c.auth, 'x509');
        t.equal(c.sharedAccessKey, undefined);
        return [String(a), String(b), String(c)];
      },
    },
    {
      name: 'connection strings: the key never shows in String() or JSON',
      run(t) {
        const a = parseConnectionString(CS);
        const shown = [String(a), `${a.sharedAccessKey}`, JSON.stringify(a), JSON.stringify({ key: a.sharedAccessKey })];
        for (const s of shown) t.ok(s.indexOf(DEVICE_KEY_B64) < 0 && s.indexOf('dGhp') < 0, s);
        t.ok(shown[0].indexOf('SharedAccessKey=<redacted>') >= 0);
        return shown;
      },
    },
    {
      name: 'connection strings: bad ones are refused with clear messages',
      run(t) {
        const k = DEVICE_KEY_B64;
        return [
          refused(t, `DeviceId=d;SharedAccessKey=${k}`),
          refused(t, `HostName=h.example.net;SharedAccessKey=${k}`),
          refused(t, 'HostName=h.example.net;DeviceId=d'),
          refused(t, `HostName=h.example.net;DeviceId=d;SharedAccessKey=${k};x509=true`),
          refused(t, 'HostName=h.example.net;DeviceId=d;SharedAccessKey=bad$key=='),
          refused(t, 'HostName=h.example.net;DeviceId=d;SharedAccessKey=abc'),
          refused(t, `HostName=h.example.net;DeviceId=d;SharedAccessKey=${k};Colour=blue`),
          refused(t, `HostName=h.example.net;HostName=g.example.net;DeviceId=d;SharedAccessKey=${k}`),
          refused(t, `HostName=h.example.net;SharedAccessKeyName=iothubowner;SharedAccessKey=${k}`),
          refused(t, `HostName=https://h.example.net/;DeviceId=d;SharedAccessKey=${k}`),
          refused(t, `HostName=h.example.net;DeviceId=a b;SharedAccessKey=${k}`),
          refused(t, `HostName=h.example.net;DeviceId=;SharedAccessKey=${k}`),
          refused(t, `HostName=h.example.net;DeviceId=d;x509=maybe`),
          refused(t, `HostName=h.example.net;DeviceId;SharedAccessKey=${k}`),
          refused(t, `HostName=h.example.net;DeviceId=d;__proto__=x;SharedAccessKey=${k}`),
        ];
      },
    },
    {
      name: 'SAS: resource URIs, signing string and device token',
      run(t) {
        const uri = hubResourceUri('myhub.azure-devices.net', 'thermo-01');
        t.equal(uri, 'myhub.azure-devices.net/devices/thermo-01');
        t.equal(hubResourceUri('h.net', 'd', 'm'), 'h.net/devices/d/modules/m');
        t.equal(sasSigningString(uri, 1735689600), 'myhub.azure-devices.net%2Fdevices%2Fthermo-01\n1735689600');
        const token = buildSasToken(testCrypto(), { resourceUri: uri, key: new Secret(base64Decode(DEVICE_KEY_B64)), expiry: 1735689600 });
        t.equal(
          token,
          'SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fthermo-01&sig=Cj9ZW%2Fp6UqcR01IBhUSMK%2Bz0GcJ5nlZwP99DKbcYIZY%3D&se=1735689600',
        );
        t.throws(() => buildSasToken(testCrypto(), { resourceUri: uri, key: new Secret(new Uint8Array(1)), expiry: 1.5 }), /expiry/);
        return token;
      },
    },
    {
      name: 'SAS: DPS group-enrollment key derivation and registration token (skn=registration)',
      run(t) {
        const crypto = testCrypto();
        const derived = deriveGroupDeviceKey(crypto, new Secret(base64Decode(GROUP_KEY_B64)), 'thermo-42');
        t.equal(base64Encode(derived.bytes()), 'OYdjlWj+UwdiQKhq6aQ0ABlqf4Y3CuE1UfyRlRpdbw4=');
        const uri = dpsResourceUri('0ne00ABCDEF', 'thermo-42');
        const token = buildSasToken(crypto, { resourceUri: uri, key: derived, expiry: 1735689600, keyName: 'registration' });
        t.equal(
          token,
          'SharedAccessSignature sr=0ne00ABCDEF%2Fregistrations%2Fthermo-42&sig=njqSywA9qjahUn2oSqHIlzGs9u9IfTSw6hWJGLD0QU4%3D&se=1735689600&skn=registration',
        );
        return token;
      },
    },
    {
      name: 'SAS: expiry from the epoch clock, refused while unsynced; renewal at 80%',
      run(t) {
        t.equal(sasExpiry({ epochMs: () => 1735689600999 }), 1735689600 + 3600);
        t.equal(sasExpiry({ epochMs: () => 1735689600000 }, 600), 1735690200);
        t.throws(() => sasExpiry({ epochMs: () => undefined }), /not synchronized/);
        t.throws(() => sasExpiry({ epochMs: () => 5000 }), /not synchronized/);
        t.throws(() => sasExpiry({ epochMs: () => 1735689600000 }, 10), /lifetime/);
        let e: unknown;
        try { sasExpiry({ epochMs: () => undefined }); } catch (x) { e = x; }
        t.ok(e instanceof SasError);
        t.equal(sasRenewalDelayMs(), 2880000);
        t.equal(sasRenewalDelayMs(600), 480000);
        return [sasRenewalDelayMs(), sasRenewalDelayMs(86400)];
      },
    },
    {
      name: 'hub identity: client id and username (module, gateway keeps the hub host name)',
      run(t) {
        t.equal(hubClientId('thermo-01'), 'thermo-01');
        t.equal(hubClientId('thermo-01', 'analytics'), 'thermo-01/analytics');
        t.equal(hubUsername('myhub.azure-devices.net', 'thermo-01'), 'myhub.azure-devices.net/thermo-01/?api-version=2021-04-12');
        t.equal(hubUsername('myhub.azure-devices.net', 'thermo-01', 'm'), 'myhub.azure-devices.net/thermo-01/m/?api-version=2021-04-12');
        return [TWIN_RESPONSE_SUBSCRIPTION, TWIN_DESIRED_SUBSCRIPTION, METHODS_SUBSCRIPTION, c2dSubscription('thermo-01'), DPS_RESPONSE_SUBSCRIPTION];
      },
    },
    {
      name: 'telemetry topics with property bags',
      run(t) {
        t.equal(telemetryTopic('thermo-01'), 'devices/thermo-01/messages/events/');
        t.equal(
          telemetryTopic('thermo-01', undefined, { contentType: 'application/json', contentEncoding: 'utf-8' }),
          'devices/thermo-01/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8',
        );
        const full = telemetryTopic('thermo-01', 'mod', {
          messageId: 'm 1', correlationId: 'c/2', contentType: 'application/json', contentEncoding: 'utf-8',
          custom: { alert: 'high temp', 'sensor id': '28-0000&=x', 'ü': '°C' },
        });
        t.equal(
          full,
          'devices/thermo-01/modules/mod/messages/events/%24.mid=m%201&%24.cid=c%2F2&%24.ct=application%2Fjson&%24.ce=utf-8' +
            '&alert=high%20temp&sensor%20id=28-0000%26%3Dx&%C3%BC=%C2%B0C',
        );
        t.throws(() => encodePropertyBag({ custom: { '$.ct': 'x' } }), /reserves/);
        t.throws(() => encodePropertyBag({ custom: { '': 'x' } }), /empty/);
        return full;
      },
    },
    {
      name: 'property bags: parse k, k=, k=v, URL-decoded, round trip',
      run(t) {
        const bag = parsePropertyBag('a=1&b=&c&d%20e=f%2Fg&&x=%E2%82%AC&__proto__=p');
        t.equal(JSON.stringify(bag), '{"a":"1","b":"","c":"","d e":"f/g","x":"€","__proto__":"p"}');
        t.equal(Object.getPrototypeOf(bag), Object.prototype, 'a plain object, prototype untouched');
        const custom = { 'k&1': 'v=1', 'ключ': 'значение', empty: '' };
        const topic = telemetryTopic('d', undefined, { messageId: 'id', custom });
        const parsed = parsePropertyBag(topic, 'devices/d/messages/events/'.length);
        t.equal(JSON.stringify(parsed), JSON.stringify({ '$.mid': 'id', ...custom }));
        t.throws(() => parsePropertyBag('a=%zz'), /malformed/);
        let e: unknown;
        try { parsePropertyBag('%'); } catch (x) { e = x; }
        t.ok(e instanceof PropertyBagError);
        return [bag, parsed];
      },
    },
    {
      name: 'C2D: subscription and topic parsing with system and custom properties',
      run(t) {
        const topic =
          'devices/thermo-01/messages/devicebound/%24.mid=7f3a&%24.to=%2Fdevices%2Fthermo-01%2Fmessages%2FdeviceBound' +
          '&%24.ce=utf-8&%24.ct=text%2Fplain&iothub-ack=full&%24.exp=2025-01-01T00%3A00%3A00Z&%24.cid=c1&%24.uid=ops' +
          '&sender=ops%20team&iothub-enqueuedtime=x&%24.seq=3&display=line%202';
        const c = parseC2dTopic(topic)!;
        t.equal(c.deviceId, 'thermo-01');
        t.equal(c.properties.messageId, '7f3a');
        t.equal(c.properties.to, '/devices/thermo-01/messages/deviceBound');
        t.equal(c.properties.ack, 'full');
        t.equal(c.properties.contentType, 'text/plain');
        t.equal(JSON.stringify(c.properties.custom), '{"sender":"ops team","display":"line 2"}');
        t.equal(JSON.stringify(parseC2dTopic('devices/d/messages/devicebound/')), '{"deviceId":"d","properties":{"custom":{}}}');
        t.equal(parseC2dTopic('devices/d/messages/events/'), undefined);
        t.equal(parseC2dTopic('$iothub/twin/res/200/?$rid=1'), undefined);
        t.equal(JSON.stringify(parseC2dProperties('a=b')), '{"custom":{"a":"b"}}');
        return c as unknown as Json;
      },
    },
    {
      name: 'twin topics: GET, PATCH reported, responses and desired patches',
      run(t) {
        t.equal(twinGetTopic('1'), '$iothub/twin/GET/?$rid=1');
        t.equal(twinPatchReportedTopic('a7'), '$iothub/twin/PATCH/properties/reported/?$rid=a7');
        const ok = parseTwinResponse('$iothub/twin/res/200/?$rid=1')!;
        t.equal(JSON.stringify(ok), '{"status":200,"rid":"1"}');
        const patched = parseTwinResponse('$iothub/twin/res/204/?$rid=a7&$version=12')!;
        t.equal(JSON.stringify(patched), '{"status":204,"rid":"a7","version":12}');
        t.equal(parseTwinResponse('$iothub/twin/res/429/?$rid=9&$version=')!.status, 429);
        t.equal(parseTwinResponse('$iothub/twin/res/abc/?$rid=1'), undefined);
        t.equal(parseTwinResponse('$iothub/twin/res/200/?$version=4'), undefined, 'no rid');
        t.equal(parseTwinResponse('$iothub/methods/POST/x/?$rid=1'), undefined);
        t.equal(JSON.stringify(parseDesiredPatchTopic('$iothub/twin/PATCH/properties/desired/?$version=17')), '{"version":17}');
        t.equal(parseDesiredPatchTopic('$iothub/twin/PATCH/properties/desired/?$version=x')!.version, undefined);
        t.equal(parseDesiredPatchTopic('$iothub/twin/PATCH/properties/reported/?$rid=1'), undefined);
        return [ok, patched] as unknown as Json;
      },
    },
    {
      name: 'method topics: request parsing and response topic',
      run(t) {
        const m = parseMethodRequest('$iothub/methods/POST/setInterval/?$rid=1f')!;
        t.equal(JSON.stringify(m), '{"name":"setInterval","rid":"1f"}');
        t.equal(parseMethodRequest('$iothub/methods/POST//?$rid=1'), undefined);
        t.equal(parseMethodRequest('$iothub/methods/POST/x/?$rid='), undefined);
        t.equal(parseMethodRequest('$iothub/methods/POST/x'), undefined);
        t.equal(methodResponseTopic(200, '1f'), '$iothub/methods/res/200/?$rid=1f');
        t.equal(methodResponseTopic(404, 'ab'), '$iothub/methods/res/404/?$rid=ab');
        return m as unknown as Json;
      },
    },
    {
      name: 'DPS topics: username, register, query, responses and payloads',
      run(t) {
        t.equal(dpsUsername('0ne00ABCDEF', 'thermo-42'), '0ne00ABCDEF/registrations/thermo-42/api-version=2019-03-31');
        t.equal(dpsRegisterTopic('1'), '$dps/registrations/PUT/iotdps-register/?$rid=1');
        t.equal(dpsRegisterPayload('thermo-42'), '{"registrationId":"thermo-42"}');
        t.equal(
          dpsQueryTopic('2', '4.2f792ade0a5c3e68.baf0e879-d88a-4153-afef-71aff51fd847'),
          '$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=4.2f792ade0a5c3e68.baf0e879-d88a-4153-afef-71aff51fd847',
        );
        t.equal(JSON.stringify(parseDpsResponse('$dps/registrations/res/202/?$rid=1&retry-after=3')), '{"status":202,"rid":"1","retryAfterS":3}');
        t.equal(JSON.stringify(parseDpsResponse('$dps/registrations/res/200/?$rid=2')), '{"status":200,"rid":"2"}');
        t.equal(parseDpsResponse('$dps/registrations/res/x/?$rid=2'), undefined);
        t.equal(parseDpsResponse('$iothub/twin/res/200/?$rid=2'), undefined);
        const assigning = parseDpsPayload('{"operationId":"4.abc","status":"assigning"}');
        const assigned = parseDpsPayload(
          '{"operationId":"4.abc","status":"assigned","registrationState":{"registrationId":"thermo-42","assignedHub":"hub2.azure-devices.net",' +
            '"deviceId":"thermo-42","status":"assigned","substatus":"initialAssignment"}}',
        );
        t.equal(assigned.assignedHub, 'hub2.azure-devices.net');
        const failed = parseDpsPayload('{"errorCode":401002,"trackingId":"t","message":"Unauthorized","timestampUtc":"x"}');
        t.equal(failed.errorCode, 401002);
        t.equal(failed.errorMessage, 'Unauthorized');
        return [assigning, assigned, failed] as unknown as Json;
      },
    },
  ],
};
