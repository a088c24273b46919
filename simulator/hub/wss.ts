// MQTT over secure WebSockets, as IoT Hub and DPS serve it on 443: path /$iothub/websocket,
// subprotocol `mqtt`, binary frames (MQTT 3.1.1 section 6). Each accepted WebSocket becomes a
// byte stream handed to the same broker as the 8883 endpoint, so the same rules, SAS and X.509
// checks apply (the TLS socket's peer certificate stays visible for X.509 thumbprints).
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket, TlsOptions } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';

export const WSS_PATH = '/$iothub/websocket';
export const WSS_SUBPROTOCOL = 'mqtt';

/** An HTTPS server that upgrades WSS_PATH with subprotocol `mqtt` and hands each stream to `handle`. */
export function createWssServer(tlsOptions: TlsOptions, handle: (stream: Duplex) => void): Server {
  const server = createHttpsServer(tlsOptions, (_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
    res.end(`MQTT over WebSockets: upgrade at ${WSS_PATH} with subprotocol ${WSS_SUBPROTOCOL}\n`);
  });
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    // IoT Hub takes D2C up to 256 KB; leave room for the topic and headers
    maxPayload: 512 * 1024,
    handleProtocols: (protocols) => (protocols.has(WSS_SUBPROTOCOL) ? WSS_SUBPROTOCOL : false),
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    if (path !== WSS_PATH || !offered.includes(WSS_SUBPROTOCOL)) {
      const status = path !== WSS_PATH ? '404 Not Found' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      // X.509 devices are recognised by the TLS peer certificate (mqtt-link's peerThumbprints)
      const tls = socket as TLSSocket;
      Object.assign(stream, { getPeerCertificate: (detailed?: boolean) => tls.getPeerCertificate(detailed ?? false) });
      stream.on('error', () => ws.terminate());
      handle(stream);
    });
  });
  server.on('close', () => wss.close());
  return server;
}
