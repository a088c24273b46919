/**
 * How the device reaches IoT Hub or DPS: MQTT over TLS on 8883 ('mqtts'), MQTT over secure
 * WebSockets on 443 ('wss': `wss://{host}/$iothub/websocket`, subprotocol `mqtt`, as the Azure
 * device SDKs do), or 'auto': 8883 first, and 443 once a connect to 8883 is refused or times
 * out (networks that block 8883 either reset or drop it). The switch is remembered for this
 * instance's life (until the next restart on the device); each attempt's TLS settings are the
 * same on both ports: verification on, TLS 1.2 floor.
 */
import type { Connection, ConnectionError, ConnectionHandlers, ConnectOptions, Crypto, Network, Random, TimerId, Timers } from '../platform';
import { WebSocketNetwork } from '../websocket/network';
import { HUB_WSS_PATH, HUB_WSS_PORT, MQTT_WS_SUBPROTOCOL } from './limits';

export type Transport = 'mqtts' | 'wss' | 'auto';

/** Codes of a connect to 8883 that make 'auto' switch to 443: refused, reset before connecting, timed out. */
const FALLBACK_CODES: readonly string[] = Object.freeze(['ECONNREFUSED', 'TIMEOUT', 'ETIMEDOUT', 'TLS_OR_CONNECT_FAILED']);

export interface TransportOptions {
  /** Default 'mqtts'. */
  transport?: Transport;
  /** Port for 'wss'. Default 443. */
  wssPort?: number;
  /** Default `/$iothub/websocket`. */
  wssPath?: string;
  /** 'auto': a connect to 8883 not up (TCP and TLS) within this many ms counts as timed out. Default 10 s. */
  probeTimeoutMs?: number;
  /**
   * 'auto': where the move to 443 is remembered. Pass the same object to every client of one
   * run (DPS, then the hub, then a re-created client) so only the first probes 8883; default:
   * this network's own.
   */
  memory?: TransportMemory;
}

/** What a TransportNetwork takes from the host: timers for 'auto''s probe, and randomness for masking keys (the strong `crypto.randomBytes` where the host has it). */
export interface TransportHost {
  random: Random;
  timers: Timers;
  crypto?: Pick<Crypto, 'randomBytes'>;
}

/** The remembered outcome of 'auto' (mutable, owned by the application for one run). */
export interface TransportMemory {
  wss: boolean;
}

/** Throws Error for an unknown transport name (configuration typed in by a person). */
export function parseTransport(value: string): Transport {
  if (value === 'mqtts' || value === 'wss' || value === 'auto') return value;
  throw new Error(`transport must be "mqtts", "wss" or "auto", got "${value}"`);
}

/**
 * A Network that picks the transport per connect. ConnectOptions arrive with the MQTT port
 * (8883 or an override); 'wss' dials `wssPort` instead, through a WebSocketNetwork over the
 * same inner network.
 */
export class TransportNetwork implements Network {
  private readonly mode: Transport;
  private readonly ws: WebSocketNetwork;
  private readonly wssPort: number;
  private readonly probeTimeoutMs: number;
  private readonly memory: TransportMemory;

  constructor(
    private readonly inner: Network,
    private readonly host: TransportHost,
    options: TransportOptions = {},
  ) {
    this.mode = options.transport ?? 'mqtts';
    parseTransport(this.mode);
    this.wssPort = options.wssPort ?? HUB_WSS_PORT;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 10_000;
    this.memory = options.memory ?? { wss: false };
    const crypto = host.crypto;
    const randomBytes = crypto?.randomBytes ? (out: Uint8Array) => crypto.randomBytes?.(out) : undefined;
    this.ws = new WebSocketNetwork(inner, { path: options.wssPath ?? HUB_WSS_PATH, protocol: MQTT_WS_SUBPROTOCOL, random: host.random, randomBytes });
  }

  /** The transport the next connect uses. */
  get current(): 'mqtts' | 'wss' {
    return this.mode === 'wss' || (this.mode === 'auto' && this.memory.wss) ? 'wss' : 'mqtts';
  }

  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    if (this.current === 'wss') return this.ws.connect({ ...options, port: this.wssPort }, handlers);
    if (this.mode === 'mqtts') return this.inner.connect(options, handlers);
    return this.probe(options, handlers);
  }

  /** 'auto' still on 8883: connect there, and move to 443 if that is refused or times out. */
  private probe(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    let current: Connection;
    let settled = false; // 8883 came up, or we moved on
    let closed = false;
    let timer: TimerId | undefined;
    const fallBack = (): void => {
      settled = true;
      this.host.timers.clear(timer);
      this.memory.wss = true;
      current = this.ws.connect({ ...options, port: this.wssPort }, handlers);
    };
    current = this.inner.connect(options, {
      onConnect: () => {
        if (settled) return;
        settled = true;
        this.host.timers.clear(timer);
        handlers.onConnect();
      },
      onData: (data) => handlers.onData(data),
      onWritable: () => handlers.onWritable?.(),
      onClose: (error?: ConnectionError) => {
        if (!settled && !closed && error && FALLBACK_CODES.includes(error.code)) {
          fallBack();
          return;
        }
        if (current !== probeConnection) return; // the abandoned 8883 attempt
        this.host.timers.clear(timer);
        handlers.onClose(error);
      },
    });
    const probeConnection = current;
    timer = this.host.timers.set(() => {
      timer = undefined;
      if (settled || closed) return;
      probeConnection.close();
      fallBack();
    }, this.probeTimeoutMs);
    return {
      write: (data) => current.write(data),
      close: () => {
        closed = true;
        this.host.timers.clear(timer);
        current.close();
      },
    };
  }
}

/** A TransportNetwork over `inner`; a bad transport name throws `configError(message)` (the caller's error type). */
export function transportNetwork(inner: Network, host: TransportHost, options: TransportOptions, configError: (message: string) => Error): TransportNetwork {
  try {
    return new TransportNetwork(inner, host, options);
  } catch (error) {
    throw configError(error instanceof Error ? error.message : String(error));
  }
}
