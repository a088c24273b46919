/**
 * A Network wrapper with a switch: cut() drops every open connection (as a pulled cable would
 * look to the device: the connection closes with an error) and refuses new ones until
 * restore(). The simulator's "network cut" uses it.
 */
import type { Connection, ConnectionHandlers, ConnectOptions, Network } from '../../src/platform';

export class CuttableNetwork implements Network {
  private readonly inner: Network;
  private up = true;
  private readonly open = new Set<{ conn: Connection; handlers: ConnectionHandlers; closed: boolean }>();

  constructor(inner: Network) {
    this.inner = inner;
  }

  get isUp(): boolean {
    return this.up;
  }

  connect(options: ConnectOptions, handlers: ConnectionHandlers): Connection {
    if (!this.up) {
      let closed = false;
      setImmediate(() => {
        if (!closed) handlers.onClose({ code: 'ENETUNREACH', message: 'network is down (simulated cut)' });
      });
      return { write: () => false, close: () => void (closed = true) };
    }
    const entry = { conn: undefined as unknown as Connection, handlers, closed: false };
    const guarded: ConnectionHandlers = {
      onConnect: () => {
        if (!entry.closed) handlers.onConnect();
      },
      onData: (data) => {
        if (!entry.closed) handlers.onData(data);
      },
      onWritable: () => {
        if (!entry.closed) handlers.onWritable?.();
      },
      onClose: (error) => {
        this.open.delete(entry);
        if (entry.closed) return;
        entry.closed = true;
        handlers.onClose(error);
      },
    };
    entry.conn = this.inner.connect(options, guarded);
    this.open.add(entry);
    return {
      write: (data) => (entry.closed ? false : entry.conn.write(data)),
      close: () => entry.conn.close(),
    };
  }

  /** Drops every connection and refuses new ones. */
  cut(): void {
    this.up = false;
    for (const entry of [...this.open]) {
      this.open.delete(entry);
      if (entry.closed) continue;
      entry.closed = true;
      entry.conn.close();
      entry.handlers.onClose({ code: 'ECONNRESET', message: 'network cut (simulated)' });
    }
  }

  restore(): void {
    this.up = true;
  }
}
