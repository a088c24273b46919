/**
 * Device Provisioning Service (DPS) client over MQTT: registers a device with a symmetric key
 * (individual enrollment, or a group enrollment whose key derives the device key) or an X.509
 * certificate, polls the operation with the service's retry-after (3 s when absent), and
 * returns the assigned hub and device id. One register() per client; it disconnects when done.
 *
 * Flow (docs "Communicate with DPS using the MQTT protocol"):
 *   SUBSCRIBE $dps/registrations/res/#
 *   PUBLISH   $dps/registrations/PUT/iotdps-register/?$rid=1        {"registrationId": ...}
 *   <- 202 {operationId, status: "assigning"}  (retry-after=N)
 *   PUBLISH   $dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=...
 *   <- 200 {status: "assigned", registrationState: {assignedHub, deviceId}}
 */
import type { TimerId, TlsOptions } from '../platform';
import type { BackoffOptions } from '../mqtt/backoff';
import { MqttClient, type MqttClientEvents, type MqttClientOptions } from '../mqtt/client';
import { PUBLISH_INVALID, PUBLISH_REJECTED } from '../mqtt/session';
import type { HubClientHost, HubEndpoint, HubMqtt, HubMqttFactory } from './hub-client';
import { transportNetwork } from './transport';
import { HUB_PORT } from './limits';
import {
  DPS_DEFAULT_RETRY_AFTER_S,
  DPS_GLOBAL_ENDPOINT,
  DPS_KEY_NAME,
  DPS_RESPONSE_SUBSCRIPTION,
  dpsQueryTopic,
  dpsRegisterTopic,
  dpsUsername,
  parseDpsPayload,
  parseDpsResponse,
  type DpsOperationStatus,
} from './provisioning-topics';
import { rootCaPems } from './root-cas';
import { buildSasToken, DEFAULT_SAS_LIFETIME_S, deriveGroupDeviceKey, dpsResourceUri, sasExpiry } from './sas';
import type { Secret } from './secret';
import { decodeUtf8OrThrow, encodeUtf8 } from '../text/utf8';

export type ProvisioningErrorCode =
  | 'CONFIG'
  | 'REFUSED' // the service refused the connection (bad key, unknown registration)
  | 'FAILED' // the registration ended in failed / disabled / an error status
  | 'TIMEOUT' // no result within timeoutMs
  | 'BAD_RESPONSE'
  | 'CLOSED';

export class ProvisioningError extends Error {
  override name = 'ProvisioningError';
  constructor(
    readonly code: ProvisioningErrorCode,
    message: string,
    /** DPS status (HTTP-like) or errorCode when the service gave one. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export type ProvisioningAuth =
  /** Individual enrollment: the enrollment's primary or secondary key. */
  | { kind: 'symmetricKey'; key: Secret }
  /** Group enrollment: the group's key; the device key is derived from the registration id. */
  | { kind: 'groupKey'; key: Secret }
  | { kind: 'x509'; cert: string; key: string };

export interface ProvisioningOptions {
  idScope: string;
  /** Also the MQTT client id and, by default, the device id the service assigns. */
  registrationId: string;
  auth: ProvisioningAuth;
  /**
   * Default global.azure-devices-provisioning.net:8883 over TLS with the bundled roots;
   * `transport` 'wss' / 'auto' as for the hub (DPS serves MQTT over WebSockets on 443 at
   * `/$iothub/websocket` too).
   */
  endpoint?: HubEndpoint;
  /** Custom allocation payload sent with the registration (any JSON). */
  payload?: unknown;
  /** Overall limit for register(). Default 120 s. */
  timeoutMs?: number;
  sasLifetimeS?: number;
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
  mqtt?: HubMqttFactory;
}

export interface ProvisioningResult {
  /** Host name of the hub the device was assigned to, e.g. myhub.azure-devices.net. */
  assignedHub: string;
  deviceId: string;
  /** e.g. initialAssignment, deviceDataUpdated, reprovisionedToInitialAssignment. */
  substatus?: string;
}

export class ProvisioningClient {
  private readonly mqtt: HubMqtt;
  private readonly deviceKey: Secret | undefined;
  private readonly timeoutMs: number;
  private readonly sasLifetimeS: number;
  private nextRid = 1;
  private currentRid = '';
  private operationId: string | undefined;
  private pollTimer: TimerId | undefined;
  private deadline: TimerId | undefined;
  private running = false;
  /** The last connection problem, for a TIMEOUT message that says why. */
  private lastError: string | undefined;
  private registered = false;
  private settle: ((error: ProvisioningError | undefined, result?: ProvisioningResult) => void) | undefined;

  constructor(
    private readonly options: ProvisioningOptions,
    private readonly host: HubClientHost,
  ) {
    if (!options.idScope || !options.registrationId) throw new ProvisioningError('CONFIG', 'idScope and registrationId are required');
    const auth = options.auth;
    this.deviceKey =
      auth.kind === 'symmetricKey' ? auth.key : auth.kind === 'groupKey' ? deriveGroupDeviceKey(host.crypto, auth.key, options.registrationId) : undefined;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.sasLifetimeS = options.sasLifetimeS ?? DEFAULT_SAS_LIFETIME_S;
    const endpoint = options.endpoint ?? {};
    let tls: TlsOptions | undefined;
    if (endpoint.tls !== false) {
      tls = { ca: rootCaPems(), minVersion: 'TLSv1.2', ...(auth.kind === 'x509' ? { cert: auth.cert, key: auth.key } : {}), ...(endpoint.tls ?? {}) };
    }
    const mqttOptions: MqttClientOptions = {
      host: endpoint.host ?? DPS_GLOBAL_ENDPOINT,
      port: endpoint.port ?? HUB_PORT,
      tls,
      clientId: options.registrationId,
      cleanSession: true,
      keepAlive: 240,
      username: dpsUsername(options.idScope, options.registrationId),
      password: this.deviceKey ? () => this.password() : undefined,
      connectTimeoutMs: options.connectTimeoutMs,
      backoff: options.backoff,
    };
    const events: MqttClientEvents = {
      onConnected: () => this.connected(),
      onMessage: (topic, payload) => this.message(topic, payload),
      onError: (error) => {
        this.lastError = `${error.code}: ${error.message}`;
        // Refused credentials will not get better by retrying.
        if (error.code === 'CONNACK_NOT_AUTHORIZED' || error.code === 'CONNACK_BAD_USERNAME_OR_PASSWORD' || error.code === 'CONNACK_IDENTIFIER_REJECTED') {
          this.finish(new ProvisioningError('REFUSED', `the provisioning service refused the connection: ${error.message}`));
        }
      },
    };
    const network = transportNetwork(host.network, host, endpoint, (message) => new ProvisioningError('CONFIG', message));
    const mqttHost = { clock: host.clock, timers: host.timers, random: host.random, network };
    const factory = options.mqtt ?? ((o, e) => new MqttClient(o, mqttHost, e));
    this.mqtt = factory(mqttOptions, events);
  }

  /** Registers and resolves with the assignment; rejects with a ProvisioningError. */
  register(): Promise<ProvisioningResult> {
    if (this.running || this.registered) return Promise.reject(new ProvisioningError('CONFIG', 'register() may be called once per client'));
    if (this.deviceKey) {
      try {
        sasExpiry(this.host.clock, this.sasLifetimeS);
      } catch (e) {
        return Promise.reject(new ProvisioningError('CONFIG', (e as Error).message));
      }
    }
    this.running = true;
    return new Promise((resolve, reject) => {
      this.settle = (error, result) => (error ? reject(error) : resolve(result as ProvisioningResult));
      this.deadline = this.host.timers.set(() => {
        this.deadline = undefined;
        const why = this.lastError ? ` (last connection error: ${this.lastError})` : '';
        this.finish(new ProvisioningError('TIMEOUT', `no provisioning result within ${this.timeoutMs} ms${why}`));
      }, this.timeoutMs);
      this.mqtt.subscribe([{ topicFilter: DPS_RESPONSE_SUBSCRIPTION, qos: 1 }]);
      this.mqtt.start();
    });
  }

  /** Abandons a registration in progress. */
  close(): void {
    this.finish(new ProvisioningError('CLOSED', 'the provisioning client was closed'));
  }

  private password(): string | undefined {
    try {
      const expiry = sasExpiry(this.host.clock, this.sasLifetimeS);
      return buildSasToken(this.host.crypto, {
        resourceUri: dpsResourceUri(this.options.idScope, this.options.registrationId),
        key: this.deviceKey as Secret,
        expiry,
        keyName: DPS_KEY_NAME,
      });
    } catch (e) {
      this.finish(new ProvisioningError('CONFIG', (e as Error).message));
      return undefined;
    }
  }

  private connected(): void {
    if (!this.running) return;
    // After a reconnect, ask again where we stand: the last request's answer may be lost.
    this.clearPoll();
    this.send();
  }

  /** Register first; once the service gave an operation id, poll its status. */
  private send(): void {
    this.currentRid = String(this.nextRid++);
    let topic: string;
    let body: Uint8Array;
    if (this.operationId === undefined) {
      topic = dpsRegisterTopic(this.currentRid);
      const request: Record<string, unknown> = { registrationId: this.options.registrationId };
      if (this.options.payload !== undefined) request.payload = this.options.payload;
      body = encodeUtf8(JSON.stringify(request));
    } else {
      topic = dpsQueryTopic(this.currentRid, this.operationId);
      body = new Uint8Array(0);
    }
    const result = this.mqtt.publish(topic, body, { qos: 1, retain: false });
    if (result === PUBLISH_REJECTED || result === PUBLISH_INVALID) this.finish(new ProvisioningError('CONFIG', 'the provisioning request could not be sent'));
  }

  private message(topic: string, payload: Uint8Array): void {
    if (!this.running) return;
    const response = parseDpsResponse(topic);
    if (!response || response.rid !== this.currentRid) return; // not ours, or an answer to an older request
    let body: DpsOperationStatus = {};
    if (payload.length > 0) {
      try {
        body = parseDpsPayload(decodeUtf8OrThrow(payload));
      } catch {
        this.finish(new ProvisioningError('BAD_RESPONSE', `unreadable provisioning response (status ${response.status})`, response.status));
        return;
      }
    }
    const retryMs = (response.retryAfterS ?? DPS_DEFAULT_RETRY_AFTER_S) * 1000;
    const status = response.status;
    if (status === 429 || status >= 500) {
      this.poll(retryMs); // throttled or a service fault: same request again later
      return;
    }
    if (status >= 300) {
      const detail = body.errorMessage ? `: ${body.errorMessage}` : '';
      this.finish(new ProvisioningError('FAILED', `provisioning failed with status ${status}${body.errorCode ? ` (error ${body.errorCode})` : ''}${detail}`, status));
      return;
    }
    if (body.operationId !== undefined) this.operationId = body.operationId;
    switch (body.status) {
      case 'assigned':
        if (!body.assignedHub || !body.deviceId) {
          this.finish(new ProvisioningError('BAD_RESPONSE', 'the service said "assigned" without assignedHub and deviceId'));
          return;
        }
        this.registered = true;
        this.finish(undefined, { assignedHub: body.assignedHub, deviceId: body.deviceId, ...(body.substatus ? { substatus: body.substatus } : {}) });
        return;
      case 'assigning':
      case undefined:
        if (this.operationId === undefined) {
          this.finish(new ProvisioningError('BAD_RESPONSE', 'the service answered without an operationId'));
          return;
        }
        this.poll(retryMs);
        return;
      default: {
        const detail = body.errorMessage ? `: ${body.errorMessage}` : '';
        this.finish(new ProvisioningError('FAILED', `registration ${body.status}${body.errorCode ? ` (error ${body.errorCode})` : ''}${detail}`, body.errorCode));
      }
    }
  }

  private poll(delayMs: number): void {
    this.clearPoll();
    this.pollTimer = this.host.timers.set(() => {
      this.pollTimer = undefined;
      if (this.running && this.mqtt.state === 'connected') this.send();
    }, delayMs);
  }

  private clearPoll(): void {
    if (this.pollTimer !== undefined) this.host.timers.clear(this.pollTimer);
    this.pollTimer = undefined;
  }

  private finish(error: ProvisioningError | undefined, result?: ProvisioningResult): void {
    if (!this.running) return;
    this.running = false;
    this.clearPoll();
    if (this.deadline !== undefined) this.host.timers.clear(this.deadline);
    this.deadline = undefined;
    this.mqtt.close();
    const settle = this.settle;
    this.settle = undefined;
    settle?.(error, result);
  }
}
