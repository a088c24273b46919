// Moddable "wifi" (modules/network/wifi), station mode.
declare module 'wifi' {
  export type WiFiMessage = 'connect' | 'gotIP' | 'lostIP' | 'disconnect' | 'station_connect' | 'station_disconnect';
  class WiFi {
    static readonly gotIP: 'gotIP';
    static readonly lostIP: 'lostIP';
    static readonly connected: 'connect';
    static readonly disconnected: 'disconnect';
    constructor(options?: { ssid: string; password?: string }, callback?: (message: WiFiMessage) => void);
    close(): void;
    static connect(options?: { ssid: string; password?: string }): void;
    static disconnect(): void;
  }
  export { WiFi as default };
}
