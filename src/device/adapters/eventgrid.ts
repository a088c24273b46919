/**
 * Binds the HubConnection port to the Event Grid MQTT client (src/eventgrid/client): the same
 * device (outbox, analytics, display) on an Event Grid namespace instead of IoT Hub.
 *
 * What maps to what:
 *   telemetry         the telemetry topic, content type + user properties (QoS 1)
 *   commands          direct methods: `<commands>/<method>` answered on the response topic
 *   messages topic    C2D: text for the display, or a `command` user property
 *   reported patch    the state topic (Event Grid keeps no twin)
 *   desired           none: there is no twin to read, so nothing is fetched after connecting and
 *                     the configuration stays as the device has it (commands can change it)
 */
import { EventGridClient, type EventGridHost, type EventGridOptions } from '../../eventgrid/client';
import { describeReasonCode } from '../../mqtt/reason-codes';
import type { HubConnection, HubHandlers, HubState, MessageProperties, TwinDocument } from '../ports';
import { isConfigurationError } from './hub';

export class EventGridConnection implements HubConnection {
  /** No twin: the device must not ask for one after connecting (there is nothing to deliver). */
  readonly fullTwinOnConnect = true;
  readonly client: EventGridClient;
  private handlers: HubHandlers | undefined;
  private lastState: HubState = { network: 'down', hub: 'disconnected' };
  private stopped = true;

  constructor(options: EventGridOptions, host: EventGridHost) {
    this.client = new EventGridClient(options, host, {
      onConnected: () => this.setState({ network: 'up', hub: 'connected' }),
      onDisconnected: (reason) => {
        const code = reason.reasonCode !== undefined ? ` (${describeReasonCode(reason.reasonCode)})` : '';
        this.setState({ network: 'down', hub: 'connecting', error: `${reason.code}: ${reason.message}${code}` });
      },
      onConnectError: (error) => {
        if (this.lastState.hub === 'connected') return;
        this.setState({ network: 'down', hub: isConfigurationError(error.code) ? 'error' : 'connecting', error: `${error.code}: ${error.message}` });
      },
      onCommand: (name, payload, reply, oversize) => {
        const h = this.handlers;
        if (!h || this.stopped) reply(503, '{"error":"device not ready"}');
        else if (oversize > 0) reply(413, JSON.stringify({ error: `request of ${oversize} bytes is larger than this device takes` }));
        else h.onMethod({ name, payload, respond: reply });
      },
      onMessage: (body, properties, oversize) => {
        if (this.stopped) return;
        this.handlers?.onC2D(oversize > 0 ? { body, properties, oversize } : { body, properties });
      },
      onProblem: (message) => {
        if (!this.stopped) this.handlers?.onError('eventgrid', message);
      },
    });
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
    this.setState({ network: 'down', hub: 'connecting' });
    this.client.start();
  }

  stop(): void {
    this.stopped = true;
    this.client.close();
  }

  sendTelemetry(body: string, properties: MessageProperties, onDone: (error?: Error) => void): void {
    this.client.sendTelemetry(body, properties, (error) => onDone(error === undefined ? undefined : new Error(error)));
  }

  /** Event Grid has no twin: an empty document (the device never asks, see fullTwinOnConnect). */
  getTwin(onDone: (error: string | undefined, twin?: TwinDocument) => void): void {
    onDone(undefined, { desired: {}, reported: {} });
  }

  patchReported(patch: Record<string, unknown>, onDone: (error?: string) => void): void {
    this.client.sendState(JSON.stringify(patch), onDone);
  }
}
