// A listener that records whatever arrives (a TCP connection, its first bytes) and answers plain HTTP
// with 503: the "somebody else's host" a redirected or downgraded agent would talk to. Tests assert
// that nothing arrived, or (for the lab settings) that it did.
import { createServer, type AddressInfo, type Socket } from 'node:net';

export interface Arrival {
  /** The first bytes, as text (a TLS ClientHello shows as binary noise). */
  firstBytes: string;
  /** The request line and headers when the client spoke plain HTTP. */
  httpHead?: string;
}

export interface ArrivalRecorder {
  /** http://127.0.0.1:PORT */
  readonly httpOrigin: string;
  /** https://127.0.0.1:PORT (the same port: a TLS client arrives too, and gets no handshake) */
  readonly httpsOrigin: string;
  readonly arrivals: Arrival[];
  /** TCP connections accepted, whether or not they sent anything. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startArrivalRecorder(): Promise<ArrivalRecorder> {
  const arrivals: Arrival[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.once('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      const http = /^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/.test(text);
      arrivals.push({ firstBytes: text, ...(http ? { httpHead: text.split('\r\n\r\n')[0] } : {}) });
      if (http)
        socket.end(
          'HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 9\r\nconnection: close\r\n\r\nrecorded\n',
        );
      else socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    httpOrigin: `http://127.0.0.1:${port}`,
    httpsOrigin: `https://127.0.0.1:${port}`,
    arrivals,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
