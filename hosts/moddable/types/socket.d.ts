// Moddable "socket" (modules/network/socket): callback-style TCP. Messages: -2 error,
// -1 disconnected, 1 connected, 2 readable (value = bytes), 3 writable (value = bytes).
declare module 'socket' {
  type WriteData = number | string | ArrayBuffer | ArrayBufferView;
  class TCPSocket {
    close(): void;
    read(type: typeof ArrayBuffer, until?: number): ArrayBuffer;
    write(data: WriteData, ...moreData: WriteData[]): void;
    write(): number;
    callback: (message: number, value?: number) => void;
  }
  const Socket: {
    new (dictionary: { host?: string; address?: string; port: number; kind?: 'TCP'; noDelay?: boolean }): TCPSocket;
  };
  export { Socket };
}
