// Moddable "securesocket" (modules/crypt/securesocket): TLS over "socket", same callback
// protocol. `secure` goes to ssl/session: protocolVersion (0x303 = TLS 1.2, also the minimum
// accepted from the server), certificate (trusted root, DER), serverName, verify.
declare module 'securesocket' {
  export default class SecureSocket {
    constructor(dict: Record<string, unknown>);
    read(type: typeof ArrayBuffer, until?: number): ArrayBuffer;
    write(data: number | string | ArrayBuffer | ArrayBufferView, ...moreData: (number | string | ArrayBuffer | ArrayBufferView)[]): void;
    close(): void;
  }
}
