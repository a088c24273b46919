// DPS symmetric-key provisioning over MQTT/TLS, then connecting to the assigned hub.
import { createHmac } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, deviceOptions, inOneHour, nextMessage, refusal, sas, startTestHub, type TestHub } from './helpers';

let t: TestHub;

beforeAll(async () => {
  t = await startTestHub({ dpsPendingPolls: 1, dpsRetryAfter: 1 });
});
afterAll(() => t.stop());

const dpsOptions = (registrationId: string, key: string, skn = 'registration'): mqtt.IClientOptions => ({
  host: '127.0.0.1',
  port: t.hub.dpsPort,
  protocol: 'mqtts',
  ca: t.hub.caPem,
  clientId: registrationId,
  username: `${t.hub.idScope}/registrations/${registrationId}/api-version=2019-03-31`,
  password: sas(`${t.hub.idScope}/registrations/${registrationId}`, key, inOneHour(), skn),
  protocolVersion: 4,
  reconnectPeriod: 0,
  clean: true,
});

/** The device side of the DPS flow: register, poll until assigned. */
async function provision(c: MqttClient, registrationId: string): Promise<{ statuses: number[]; result: { status: string; registrationState: { assignedHub: string; deviceId: string } } }> {
  await c.subscribeAsync('$dps/registrations/res/#', { qos: 1 });
  const statuses: number[] = [];
  let reply = nextMessage(c);
  c.publish('$dps/registrations/PUT/iotdps-register/?$rid=1', JSON.stringify({ registrationId }), { qos: 1 });
  let m = await reply;
  for (let rid = 2; ; rid++) {
    const match = /^\$dps\/registrations\/res\/(\d+)\/\?(.*)$/.exec(m.topic)!;
    const status = Number(match[1]);
    statuses.push(status);
    const body = JSON.parse(m.payload.toString());
    if (status === 200) return { statuses, result: body };
    expect(status).toBe(202);
    expect(new URLSearchParams(match[2]).get('retry-after')).toBe('1');
    reply = nextMessage(c);
    c.publish(`$dps/registrations/GET/iotdps-get-operationstatus/?$rid=${rid}&operationId=${body.operationId}`, '', { qos: 1 });
    m = await reply;
    if (rid > 5) throw new Error('never assigned');
  }
}

describe('DPS', () => {
  it('provisions an individual enrollment and the device then connects to the hub', async () => {
    const enrollment = t.hub.addEnrollment({ registrationId: 'reg-ind' });
    const c = await connect(dpsOptions('reg-ind', enrollment.primaryKey));
    const { statuses, result } = await provision(c, 'reg-ind');
    expect(statuses).toEqual([202, 202, 200]);
    expect(result.status).toBe('assigned');
    expect(result.registrationState).toMatchObject({ assignedHub: t.hub.hostName, deviceId: 'reg-ind' });
    await c.endAsync();
    const d = await connect(deviceOptions(t.hub, 'reg-ind', enrollment.primaryKey));
    expect(t.hub.isConnected('reg-ind')).toBe(true);
    await d.endAsync();
  });

  it('provisions through a group enrollment with the derived key', async () => {
    const group = t.hub.addEnrollmentGroup({ groupId: 'thermostats' });
    const derived = createHmac('sha256', Buffer.from(group.primaryKey, 'base64')).update('thermo-42').digest('base64');
    const c = await connect(dpsOptions('thermo-42', derived));
    const { result } = await provision(c, 'thermo-42');
    expect(result.registrationState.deviceId).toBe('thermo-42');
    await c.endAsync();
    expect(t.hub.device('thermo-42')?.provisionedBy).toBe('dps:group:thermostats');
    const d = await connect(deviceOptions(t.hub, 'thermo-42', derived));
    await d.endAsync();
  });

  it('refuses a wrong key, a missing skn and an unknown ID scope', async () => {
    const group = t.hub.addEnrollmentGroup({ groupId: 'others' });
    expect(await refusal(dpsOptions('thermo-43', group.primaryKey))).toBe(5); // the group key itself, not the derived key
    const derived = createHmac('sha256', Buffer.from(group.primaryKey, 'base64')).update('thermo-43').digest('base64');
    expect(await refusal({ ...dpsOptions('thermo-43', derived), password: sas(`${t.hub.idScope}/registrations/thermo-43`, derived, inOneHour()) })).toBe(5);
    expect(await refusal({ ...dpsOptions('thermo-43', derived), username: '0ne00000000/registrations/thermo-43/api-version=2019-03-31' })).toBe(5);
    expect(t.hub.device('thermo-43')).toBeUndefined();
  });
});
