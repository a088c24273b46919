/** ProvisioningClient over a fake MQTT layer, in simulated time. */
import { createHmac } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { base64Decode } from '../../src/iothub/base64';
import { ProvisioningClient, type ProvisioningOptions } from '../../src/iothub/provisioning-client';
import { Secret } from '../../src/iothub/secret';
import { GROUP_KEY_B64 } from './protocol.suite';
import { FakeMqtt, SimTime, settle } from './sim';

let time: SimTime;
let fake: FakeMqtt | undefined;

function make(extra: Partial<ProvisioningOptions> = {}) {
  const client = new ProvisioningClient(
    {
      idScope: '0ne00ABCDEF',
      registrationId: 'thermo-42',
      auth: { kind: 'groupKey', key: new Secret(base64Decode(GROUP_KEY_B64)) },
      mqtt: (o, e) => (fake = new FakeMqtt(o, e)),
      ...extra,
    },
    time.host(),
  );
  return { client, mqtt: fake! };
}

beforeEach(() => {
  time = new SimTime();
});

describe('ProvisioningClient', () => {
  it('registers with a group-derived key, polls with retry-after (default 3 s) and returns the assignment', async () => {
    const { client, mqtt } = make();
    const result = client.register();
    expect(mqtt.options.clientId).toBe('thermo-42');
    expect(mqtt.options.username).toBe('0ne00ABCDEF/registrations/thermo-42/api-version=2019-03-31');
    expect(mqtt.options.host).toBe('global.azure-devices-provisioning.net');
    expect(mqtt.subscribeCalls).toEqual([[{ topicFilter: '$dps/registrations/res/#', qos: 1 }]]);
    mqtt.connect();
    // The password is a registration token signed with the derived key.
    const derived = createHmac('sha256', Buffer.from(GROUP_KEY_B64, 'base64')).update('thermo-42').digest();
    const se = Date.UTC(2025, 0, 1) / 1000 + 3600;
    const sr = encodeURIComponent('0ne00ABCDEF/registrations/thermo-42');
    const sig = createHmac('sha256', derived).update(`${sr}\n${se}`).digest('base64');
    expect(mqtt.passwords).toEqual([`SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${se}&skn=registration`]);

    expect(mqtt.published[0]).toMatchObject({ topic: '$dps/registrations/PUT/iotdps-register/?$rid=1', payload: '{"registrationId":"thermo-42"}' });
    mqtt.deliver('$dps/registrations/res/202/?$rid=1&retry-after=5', { operationId: '4.abc.def', status: 'assigning' });
    await time.advance(4999);
    expect(mqtt.published).toHaveLength(1);
    await time.advance(1);
    expect(mqtt.published[1].topic).toBe('$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=4.abc.def');
    mqtt.deliver('$dps/registrations/res/202/?$rid=2', { operationId: '4.abc.def', status: 'assigning' });
    await time.advance(2999);
    expect(mqtt.published).toHaveLength(2);
    await time.advance(1); // no retry-after: 3 s
    expect(mqtt.published).toHaveLength(3);
    mqtt.deliver('$dps/registrations/res/200/?$rid=1', { status: 'assigned' }); // stale rid: ignored
    mqtt.deliver('$dps/registrations/res/200/?$rid=3', {
      operationId: '4.abc.def', status: 'assigned',
      registrationState: { registrationId: 'thermo-42', assignedHub: 'hub2.azure-devices.net', deviceId: 'thermo-42', status: 'assigned', substatus: 'initialAssignment' },
    });
    await expect(result).resolves.toEqual({ assignedHub: 'hub2.azure-devices.net', deviceId: 'thermo-42', substatus: 'initialAssignment' });
    expect(mqtt.closed).toBe(true);
  });

  it('retries the same request after 429, and fails clearly on errors and failed registrations', async () => {
    {
      const { client, mqtt } = make();
      const result = client.register();
      mqtt.connect();
      mqtt.deliver('$dps/registrations/res/429/?$rid=1&retry-after=2');
      await time.advance(2000);
      expect(mqtt.published[1].topic).toBe('$dps/registrations/PUT/iotdps-register/?$rid=2');
      mqtt.deliver('$dps/registrations/res/401/?$rid=2', { errorCode: 401002, message: 'Unauthorized' });
      await expect(result).rejects.toMatchObject({ code: 'FAILED', status: 401, message: 'provisioning failed with status 401 (error 401002): Unauthorized' });
    }
    {
      const { client, mqtt } = make();
      const result = client.register();
      mqtt.connect();
      mqtt.deliver('$dps/registrations/res/200/?$rid=1', {
        operationId: 'x', status: 'disabled', registrationState: { status: 'disabled', errorCode: 400209, errorMessage: 'enrollment disabled' },
      });
      await expect(result).rejects.toThrow(/registration disabled \(error 400209\): enrollment disabled/);
    }
  });

  it('refused credentials end the registration; no answer ends it at the timeout; no clock, no token', async () => {
    {
      const { client, mqtt } = make();
      const result = client.register();
      mqtt.events.onError?.({ code: 'CONNACK_NOT_AUTHORIZED', message: 'connection refused: not authorized (5)' });
      await expect(result).rejects.toMatchObject({ code: 'REFUSED' });
    }
    {
      const { client, mqtt } = make({ timeoutMs: 10_000 });
      const result = client.register();
      const check = expect(result).rejects.toMatchObject({ code: 'TIMEOUT' });
      mqtt.connect();
      await time.advance(10_000);
      await check;
    }
    {
      time.epochAtZero = undefined;
      const { client } = make();
      await expect(client.register()).rejects.toThrow(/not synchronized/);
    }
    await settle();
  });
});

describe('ProvisioningClient timeouts', () => {
  it('a timeout names the last connection error', async () => {
    const { client, mqtt } = make({ timeoutMs: 10_000 });
    const result = client.register();
    const check = expect(result).rejects.toThrow(/within 10000 ms \(last connection error: ECONNREFUSED: refused\)/);
    mqtt.events.onError?.({ code: 'ECONNREFUSED', message: 'refused' });
    await time.advance(10_000);
    await check;
  });
});
