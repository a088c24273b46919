/**
 * The Host interface: everything src/ needs from the outside world.
 *
 * src/ never touches a global clock, socket, file or console. A host (hosts/node,
 * hosts/moddable, or a test double) implements this interface and hands it in, which keeps
 * the core deterministic and runnable in simulated time, in Node and in XS alike.
 *
 * Conventions:
 * - times are milliseconds; `now()` is monotonic and only ever moves forward;
 * - bytes are Uint8Array; text is UTF-8;
 * - callbacks are named on<Event>, as Moddable's modules name them.
 */

/** Opaque handle returned by `Timers.set`. */
export type TimerId = unknown;

/** Monotonic and wall-clock time. */
export interface Clock {
  /** Monotonic milliseconds since an arbitrary origin (boot). Never goes backwards. */
  now(): number;
  /**
   * Real time as Unix epoch milliseconds, or undefined while the host has not synced it
   * (SNTP on the device). TLS certificate checks and SAS expiry need it.
   */
  epochMs(): number | undefined;
}

/** One-shot timers driven by the host's event loop (or a simulated clock in tests). */
export interface Timers {
  /** Calls `callback` once, `delayMs` from now. */
  set(callback: () => void, delayMs: number): TimerId;
  /** Cancels a timer; unknown or already fired ids are ignored. */
  clear(id: TimerId): void;
}

/** TLS settings for an outbound connection. Verification is on unless explicitly disabled. */
export interface TlsOptions {
  /** Trusted roots, PEM. Absent: the host's default trust store (on the device: bundled roots). */
  ca?: string[];
  /** Name checked against the server certificate and sent as SNI. Defaults to the host name. */
  serverName?: string;
  /** Client certificate and key (PEM) for X.509 authentication. */
  cert?: string;
  key?: string;
  /** Lowest protocol accepted. Hosts must never go below TLS 1.2. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** Present: wrap the connection in TLS. */
  tls?: TlsOptions;
}

/** Why a connection ended, or failed to start. */
export interface ConnectionError {
  /** Stable machine-readable code, e.g. 'ECONNREFUSED', 'TLS_CERT_UNTRUSTED', 'TLS_HOSTNAME', 'CLOSED'. */
  code: string;
  /** Human-readable text; never contains secrets. */
  message: string;
}

export interface ConnectionHandlers {
  /** The transport (and TLS handshake, if any) is up; `write` may be called. */
  onConnect(): void;
  /** Bytes arrived. The array may be reused by the host after the call returns. */
  onData(data: Uint8Array): void;
  /** The send buffer drained after `write` returned false. */
  onWritable?(): void;
  /** The connection closed or failed. Called at most once; no other callback follows it. */
  onClose(error?: ConnectionError): void;
}

/** An open byte stream. */
export interface Connection {
  /**
   * Queues bytes for sending. The host copies them before returning, so the caller may reuse
   * its buffer. Returns false when the host's send buffer is full (the bytes are still queued);
   * wait for onWritable before writing more.
   */
  write(data: Uint8Array): boolean;
  /** Closes the connection. onClose follows (asynchronously) unless it was already called. */
  close(): void;
}

/** TCP and TLS client connections. */
export interface Network {
  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection;
}

/**
 * A 1-Wire master, at the level of bus primitives (Maxim AN126). Operations are synchronous
 * and take bus time; the driver above it adds ROM search, CRC and device commands.
 */
export interface OneWireBus {
  /** Reset pulse. Returns true when at least one device answered with a presence pulse. */
  reset(): boolean;
  writeBit(bit: 0 | 1): void;
  readBit(): 0 | 1;
  writeByte(value: number): void;
  readByte(): number;
  /**
   * Drives the line hard high for `durationMs` (parasite-powered devices converting or
   * copying to EEPROM). Optional: buses without a strong pull-up cannot feed parasite devices.
   */
  strongPullup?(durationMs: number): void;
}

/** Cryptographic primitives the core cannot do cheaply itself. */
export interface Crypto {
  /** HMAC-SHA256(key, data): 32 bytes. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * Fills `out` with bytes from the platform's cryptographically strong source (the OS CSPRNG,
   * the chip's hardware RNG). Optional: a host without one leaves it out, and what needs
   * unpredictable bytes (WebSocket masking keys, RFC 6455 section 5.3) falls back to `Random`.
   */
  randomBytes?(out: Uint8Array): void;
}

/**
 * Small persistent key-value storage (Preference or files on the device, files on Node).
 * Keys are short ASCII names; values are strings. Writes are durable when `set` returns.
 */
export interface Storage {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  delete(key: string): void;
  /** Keys currently stored, optionally only those starting with `prefix`. */
  keys(prefix?: string): string[];
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Diagnostic output. Callers must never pass secrets (keys, SAS signatures, passwords). */
export interface Log {
  write(level: LogLevel, source: string, message: string): void;
}

/** One sensor line on the display. */
export interface DisplaySensor {
  id: string;
  name: string;
  /** Last good temperature in degrees Celsius, or undefined when there is none. */
  celsius: number | undefined;
  status: 'online' | 'missing' | 'faulty';
  anomaly: boolean;
  /** What the sensor's anomaly alert saw (spike, shift, trend) while it lasts. */
  anomalyKind?: 'spike' | 'shift' | 'trend';
  /** The sensor's active limit alarm, if any. */
  alarm?: 'high' | 'low';
}

/** What the device shows. Built by src/device, rendered by each host in its own way. */
export interface DisplayModel {
  deviceId: string;
  sensors: DisplaySensor[];
  /** Network and hub state, e.g. { network: 'up', hub: 'connected', outbox: 3 }. */
  status: { network: string; hub: string; outbox: number };
  /** The last cloud-to-device message shown, already sanitized for display. */
  message: { text: string; sender?: string; receivedAt?: number } | undefined;
  /** True while any sensor is in an anomaly. */
  anomaly: boolean;
  /** True while any sensor's limit alarm is active. */
  alarm?: boolean;
  /** True while the device is asked to identify itself (flash the screen). */
  identify: boolean;
}

export interface Display {
  render(model: DisplayModel): void;
}

/** Randomness for jitter and ids; not necessarily cryptographic. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/** Everything a host provides. Components take the parts they need, not the whole Host. */
export interface Host {
  clock: Clock;
  timers: Timers;
  network: Network;
  /** Absent on hosts without a 1-Wire bus. */
  oneWire?: OneWireBus;
  crypto: Crypto;
  storage: Storage;
  display: Display;
  log: Log;
  random: Random;
  /** Restarts the application (a reboot on the device). */
  restart(): void;
}
