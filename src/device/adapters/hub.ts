/**
 * Binds the HubConnection port to the IoT Hub device client (src/iothub/hub-client).
 *
 * The client keeps reconnecting by itself and keeps unacknowledged publishes in its MQTT
 * session across reconnects, so a send's callback fires on PUBACK, or with an error only when
 * the message is refused or the client is closed. Starting needs the real time (SAS): while
 * the host has none, start is retried every few seconds.
 */
import type { Timers, TimerId } from '../../platform';
import { HubClient, type HubClientHost, type HubClientOptions } from '../../iothub/hub-client';
import type { C2dProperties, MessageProperties as HubMessageProperties } from '../../iothub/properties';
import { METHOD_NAMES } from '../methods';
import type { HubConnection, HubHandlers, HubState, MessageProperties, TwinDocument } from '../ports';

const START_RETRY_MS = 5000;

function c2dProperties(p: C2dProperties): MessageProperties {
  const out: MessageProperties = {};
  for (const key of Object.keys(p.custom)) out[key] = p.custom[key];
  if (p.messageId !== undefined) out.$messageId = p.messageId;
  if (p.contentType !== undefined) out.$contentType = p.contentType;
  return out;
}

/** '$.ct' and '$.ce' are IoT Hub's content type and encoding; the rest are application properties. */
function telemetryProperties(p: MessageProperties): HubMessageProperties {
  const out: HubMessageProperties = { custom: {} };
  for (const key of Object.keys(p)) {
    if (key === '$.ct') out.contentType = p[key];
    else if (key === '$.ce') out.contentEncoding = p[key];
    else (out.custom as Record<string, string>)[key] = p[key];
  }
  return out;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class HubClientConnection implements HubConnection {
  /** The client reads the full twin after every connect and delivers it (iothub/desired-order), unless twin is disabled. */
  readonly fullTwinOnConnect: boolean;
  readonly client: HubClient;
  private handlers: HubHandlers | undefined;
  private readonly timers: Timers;
  private startTimer: TimerId | undefined;
  private stopped = false;
  private lastState: HubState = { network: 'down', hub: 'disconnected' };
  /** The last telemetry property set and its IoT Hub form (the same object each time, so the client's topic cache hits). */
  private lastProperties: MessageProperties | undefined;
  private lastHubProperties: HubMessageProperties | undefined;

  constructor(options: HubClientOptions, host: HubClientHost) {
    this.timers = host.timers;
    this.fullTwinOnConnect = options.features?.twin !== false;
    this.client = new HubClient(options, host, {
      onConnected: () => this.setState({ network: 'up', hub: 'connected' }),
      onDisconnected: (reason) => this.setState({ network: 'down', hub: 'connecting', error: `${reason.code}: ${reason.message}` }),
      onError: (error) => {
        if (isMessageError(error.code)) {
          this.handlers?.onError('hub', `${error.code}: ${error.message}`);
          return;
        }
        if (this.lastState.hub === 'connected') return;
        // Refused credentials and untrusted certificates need a person; a refused or dropped
        // connection is transient and the client is already retrying.
        const hub = isConfigurationError(error.code) ? 'error' : 'connecting';
        this.setState({ network: 'down', hub, error: `${error.code}: ${error.message}` });
      },
    });
    this.client.onC2D((body, properties, oversize) => {
      const message = { body, properties: c2dProperties(properties) };
      this.handlers?.onC2D(oversize === undefined ? message : { ...message, oversize });
    });
    this.client.onDesired((update) => this.handlers?.onDesired({ ...update.desired, $version: update.version }, update.full));
    for (const name of METHOD_NAMES) {
      this.client.onMethod(name, (payload) => {
        return new Promise((resolve) => {
          const h = this.handlers;
          if (!h) {
            resolve({ status: 503, payload: { error: 'device not ready' } });
            return;
          }
          h.onMethod({
            name,
            payload: payload === undefined ? '' : JSON.stringify(payload),
            respond: (status, text) => {
              let p: unknown = null;
              try {
                p = JSON.parse(text);
              } catch {
                p = text;
              }
              resolve({ status, payload: p });
            },
          });
        });
      });
    }
  }

  private setState(state: HubState): void {
    this.lastState = state;
    if (!this.stopped) this.handlers?.onState(state);
  }

  setHandlers(handlers: HubHandlers): void {
    this.handlers = handlers;
  }

  start(): void {
    this.stopped = false;
    this.tryStart();
  }

  private tryStart(): void {
    this.startTimer = undefined;
    if (this.stopped) return;
    try {
      this.client.start();
      this.setState({ network: 'down', hub: 'connecting' });
    } catch (e) {
      this.setState({ network: 'down', hub: 'error', error: message(e) });
      this.startTimer = this.timers.set(() => this.tryStart(), START_RETRY_MS);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.startTimer !== undefined) this.timers.clear(this.startTimer);
    this.startTimer = undefined;
    this.client.close();
  }

  sendTelemetry(body: string, properties: MessageProperties, onDone: (error?: Error) => void): void {
    // The device's message kinds share their property objects (telemetry.ts): converted once.
    if (properties !== this.lastProperties) {
      this.lastProperties = properties;
      this.lastHubProperties = telemetryProperties(properties);
    }
    this.client.publishTelemetry(body, this.lastHubProperties, onDone);
  }

  getTwin(onDone: (error: string | undefined, twin?: TwinDocument) => void): void {
    this.client.getTwin().then(
      (twin) => onDone(undefined, { desired: twin.desired, reported: twin.reported }),
      (e: unknown) => onDone(message(e)),
    );
  }

  patchReported(patch: Record<string, unknown>, onDone: (error?: string) => void): void {
    this.client.patchReported(patch).then(
      () => onDone(),
      (e: unknown) => onDone(message(e)),
    );
  }
}

/** Errors about one message from the hub (the connection is fine): the device reports them. */
function isMessageError(code: string): boolean {
  return code === 'TOO_LARGE' || code === 'BAD_MESSAGE' || code === 'BAD_RESPONSE' || code === 'TWIN_RESYNC';
}

/** Errors that retrying cannot fix: the hub refused the credentials, or TLS could not trust it. */
export function isConfigurationError(code: string): boolean {
  return code.indexOf('CONNACK_') === 0 || code.indexOf('TLS_') === 0 || code === 'SAS';
}
