// Device Provisioning Service emulation: symmetric-key individual and group enrollments over MQTT.
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { randomBytes, randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { readJson, writeJson } from './json-file';
import { destroy, sendTo, subscriptionQos, tapPackets } from './mqtt-link';
import { newSymmetricKey, type DeviceRecord, type Registry } from './registry';
import { parsePropertyBag } from './rules';
import { checkSasToken, deriveDeviceKey, parseSasToken } from './sas';

export interface IndividualEnrollment {
  registrationId: string;
  primaryKey: string;
  secondaryKey: string;
  /** device id to create; defaults to the registration id */
  deviceId?: string;
}

export interface EnrollmentGroup {
  groupId: string;
  primaryKey: string;
  secondaryKey: string;
}

type Matched = { kind: 'individual'; enrollment: IndividualEnrollment } | { kind: 'group'; group: EnrollmentGroup };

export class Enrollments {
  private readonly path: string;
  private readonly data: { individual: IndividualEnrollment[]; groups: EnrollmentGroup[] };

  constructor(dataDir: string) {
    this.path = join(dataDir, 'dps.json');
    this.data = readJson(this.path, { individual: [], groups: [] });
  }

  list(): { individual: IndividualEnrollment[]; groups: EnrollmentGroup[] } {
    return this.data;
  }

  addIndividual(input: Partial<IndividualEnrollment> & { registrationId: string }): IndividualEnrollment {
    checkId(input.registrationId);
    const e: IndividualEnrollment = { registrationId: input.registrationId, primaryKey: input.primaryKey ?? newSymmetricKey(), secondaryKey: input.secondaryKey ?? newSymmetricKey(), ...(input.deviceId ? { deviceId: input.deviceId } : {}) };
    this.data.individual = this.data.individual.filter((x) => x.registrationId !== e.registrationId).concat(e);
    writeJson(this.path, this.data);
    return e;
  }

  addGroup(input: Partial<EnrollmentGroup> & { groupId: string }): EnrollmentGroup {
    checkId(input.groupId);
    const g: EnrollmentGroup = { groupId: input.groupId, primaryKey: input.primaryKey ?? newSymmetricKey(), secondaryKey: input.secondaryKey ?? newSymmetricKey() };
    this.data.groups = this.data.groups.filter((x) => x.groupId !== g.groupId).concat(g);
    writeJson(this.path, this.data);
    return g;
  }

  remove(id: string): boolean {
    const before = this.data.individual.length + this.data.groups.length;
    this.data.individual = this.data.individual.filter((x) => x.registrationId !== id);
    this.data.groups = this.data.groups.filter((x) => x.groupId !== id);
    const changed = before !== this.data.individual.length + this.data.groups.length;
    if (changed) writeJson(this.path, this.data);
    return changed;
  }

  /** The enrollment whose key signed the token: individual first, then any group's derived key. */
  match(registrationId: string, check: (keys: string[]) => boolean): Matched | undefined {
    const individual = this.data.individual.find((e) => e.registrationId === registrationId);
    if (individual) return check([individual.primaryKey, individual.secondaryKey]) ? { kind: 'individual', enrollment: individual } : undefined;
    for (const group of this.data.groups) {
      if (check([deriveDeviceKey(group.primaryKey, registrationId), deriveDeviceKey(group.secondaryKey, registrationId)])) return { kind: 'group', group };
    }
    return undefined;
  }
}

function checkId(id: unknown): void {
  if (typeof id !== 'string' || !/^[a-z0-9\-._:]{1,128}$/i.test(id)) throw Object.assign(new Error(`invalid registration/group id ${JSON.stringify(id)}`), { status: 400 });
}

interface Operation {
  operationId: string;
  registrationId: string;
  device: DeviceRecord;
  polls: number;
  created: string;
}

export interface DpsOptions {
  idScope: string;
  hostName: string;
  registry: Registry;
  enrollments: Enrollments;
  events: EventEmitter;
  /** seconds the device is told to wait between polls (DPS answers 3) */
  retryAfter: number;
  /** status polls answered 202 "assigning" before the assignment shows */
  pendingPolls: number;
}

export class DpsBroker {
  private readonly matched = new WeakMap<Client, { registrationId: string; match: Matched }>();
  private readonly rawIds = new WeakMap<Client, string>();
  private readonly operations = new Map<string, Operation>();

  private constructor(
    readonly aedes: Aedes,
    private readonly opts: DpsOptions,
  ) {}

  static async create(opts: DpsOptions): Promise<DpsBroker> {
    // the hooks need the instance, which needs the broker: bind late
    const ref: { self?: DpsBroker } = {};
    const aedes = await Aedes.createBroker({
      maxClientsIdLength: 128,
      preConnect: (client, packet, cb) => {
        ref.self!.rawIds.set(client, packet.clientId);
        // DPS treats every session as non-persistent, whatever CleanSession says
        packet.clean = true;
        cb(null, true);
      },
      authenticate: (client, username, password, cb) => ref.self!.authenticate(client, username, password, cb),
      authorizeSubscribe: (_client, sub, cb) => {
        if (sub.topic !== '$dps/registrations/res/#') return cb(new Error(`subscription to ${sub.topic} is not allowed`));
        cb(null, { topic: sub.topic, qos: sub.qos >= 1 ? 1 : 0 });
      },
      authorizePublish: (client, packet, cb) => {
        if (!client || packet.qos === 2) return cb(new Error('QoS 2 publish is not supported'));
        const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
        const reply = ref.self!.request(client, packet.topic, payload);
        if (!reply) return cb(new Error(`publish to ${packet.topic} is not allowed`));
        cb(null);
        setImmediate(reply);
      },
    });
    ref.self = new DpsBroker(aedes, opts);
    return ref.self;
  }

  handle(socket: Duplex): void {
    const client = this.aedes.handle(socket);
    tapPackets(client, (p) => {
      if (p.cmd === 'publish' && p.qos === 2) destroy(client, 'QoS 2 publish');
      if (p.cmd === 'subscribe') for (const s of p.subscriptions ?? []) if (s.qos > 1) s.qos = 1;
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
  }

  private authenticate(client: Client, username: string | undefined, password: Buffer | undefined, cb: (error: AuthenticateError | null, success: boolean | null) => void): void {
    const refuse = (returnCode: 4 | 5, reason: string) => {
      this.opts.events.emit('refused', { clientId: this.rawIds.get(client) ?? '', returnCode, reason, endpoint: 'dps' });
      cb(Object.assign(new Error(reason), { returnCode }) as AuthenticateError, null);
    };
    const registrationId = this.rawIds.get(client) ?? '';
    const { idScope } = this.opts;
    const m = /^([^/]+)\/registrations\/([^/]+)\/\??api-version=/.exec(username ?? '');
    if (!registrationId || !m) return refuse(4, `username must be ${idScope}/registrations/${registrationId}/api-version=2019-03-31`);
    if (m[1] !== idScope) return refuse(5, `unknown ID scope ${m[1]}`);
    if (m[2] !== registrationId) return refuse(5, `username registration id ${m[2]} differs from client id ${registrationId}`);
    const token = password && parseSasToken(password.toString('utf8'));
    if (!token) return refuse(4, 'password is not a SharedAccessSignature token');
    if (token.skn !== 'registration') return refuse(5, 'the SAS token must carry skn=registration');
    const now = Math.floor(Date.now() / 1000);
    let reason = 'no enrollment matches this registration id and key';
    const match = this.opts.enrollments.match(registrationId, (keys) => {
      const r = checkSasToken(token, `${idScope}/registrations/${registrationId}`, keys, now);
      if (!r.ok) reason = r.reason;
      return r.ok;
    });
    if (!match) return refuse(5, reason);
    this.matched.set(client, { registrationId, match });
    cb(null, true);
  }

  /** Returns the reply to send for a device request, or undefined when the topic is not DPS's. */
  private request(client: Client, topic: string, payload: Buffer): (() => void) | undefined {
    const who = this.matched.get(client);
    if (!who) return undefined;
    const reply = (status: number, rid: string, body: unknown, retryAfter?: number) => () => {
      const qos = subscriptionQos(client, '$dps/registrations/res/#');
      if (qos === undefined) return;
      sendTo(client, `$dps/registrations/res/${status}/?$rid=${encodeURIComponent(rid)}${retryAfter !== undefined ? `&retry-after=${retryAfter}` : ''}`, JSON.stringify(body), qos);
    };
    let m = /^\$dps\/registrations\/PUT\/iotdps-register\/\?(.*)$/.exec(topic);
    if (m) {
      const rid = parsePropertyBag(m[1])['$rid'];
      if (!rid) return undefined;
      let body: { registrationId?: unknown } = {};
      try {
        body = payload.length ? (JSON.parse(payload.toString('utf8')) as typeof body) : {};
      } catch {
        return reply(400, rid, { errorCode: 400004, message: 'malformed JSON' });
      }
      if (body.registrationId !== undefined && body.registrationId !== who.registrationId) {
        return reply(400, rid, { errorCode: 400004, message: 'registrationId in the body differs from the connection' });
      }
      const op = this.assign(who.registrationId, who.match);
      return reply(202, rid, { operationId: op.operationId, status: 'assigning' }, this.opts.retryAfter);
    }
    m = /^\$dps\/registrations\/GET\/iotdps-get-operationstatus\/\?(.*)$/.exec(topic);
    if (m) {
      const bag = parsePropertyBag(m[1]);
      const rid = bag['$rid'];
      if (!rid) return undefined;
      const op = bag['operationId'] ? this.operations.get(bag['operationId']) : undefined;
      if (!op || op.registrationId !== who.registrationId) return reply(404, rid, { errorCode: 404201, message: 'operation not found' });
      if (op.polls < this.opts.pendingPolls) {
        op.polls++;
        return reply(202, rid, { operationId: op.operationId, status: 'assigning' }, this.opts.retryAfter);
      }
      const now = new Date().toISOString();
      return reply(200, rid, {
        operationId: op.operationId,
        status: 'assigned',
        registrationState: {
          registrationId: op.registrationId,
          createdDateTimeUtc: op.created,
          assignedHub: this.opts.hostName,
          deviceId: op.device.deviceId,
          status: 'assigned',
          substatus: 'initialAssignment',
          lastUpdatedDateTimeUtc: now,
          etag: Buffer.from(randomUUID()).toString('base64'),
        },
      });
    }
    return undefined;
  }

  /** Creates (or re-keys) the hub device the way DPS's assignment would. */
  private assign(registrationId: string, match: Matched): Operation {
    const keys =
      match.kind === 'individual'
        ? { primaryKey: match.enrollment.primaryKey, secondaryKey: match.enrollment.secondaryKey }
        : { primaryKey: deriveDeviceKey(match.group.primaryKey, registrationId), secondaryKey: deriveDeviceKey(match.group.secondaryKey, registrationId) };
    const deviceId = match.kind === 'individual' ? (match.enrollment.deviceId ?? registrationId) : registrationId;
    const device = this.opts.registry.upsert({ deviceId, ...keys }, match.kind === 'individual' ? `dps:individual:${registrationId}` : `dps:group:${match.group.groupId}`);
    const op: Operation = { operationId: `4.${randomBytes(8).toString('hex')}.${randomUUID()}`, registrationId, device, polls: 0, created: new Date().toISOString() };
    this.operations.set(op.operationId, op);
    this.opts.events.emit('provisioned', { registrationId, deviceId, enrollment: match.kind === 'individual' ? 'individual' : match.group.groupId });
    return op;
  }
}
