/**
 * Raw HTTP/1.1 over a TCP socket, for tests of clients that a fetch cannot play: a body that
 * dribbles and never finishes, headers that never end, a request cut off halfway.
 */
import { connect, type Socket } from 'node:net';

/** A raw client connection and what it has received so far. */
export interface RawConnection {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the server has closed the connection (or it failed). */
  closed: Promise<void>;
  /** Whether the connection is closed. */
  isClosed(): boolean;
  /** Resolves with the status code of the first response, or rejects after `ms`. */
  status(ms?: number): Promise<number>;
}

/** Opens a connection to `url` (http://127.0.0.1:port) and writes `head` (request line and headers). */
export async function rawConnect(url: string, head: string): Promise<RawConnection> {
  const u = new URL(url);
  const socket = connect({ host: u.hostname, port: Number(u.port) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let data = '';
  let closed = false;
  socket.on('data', (d) => (data += d.toString('latin1')));
  socket.on('error', () => undefined); // a reset by the server is one way of closing
  const closedP = new Promise<void>((resolve) => socket.once('close', () => ((closed = true), resolve())));
  socket.write(head);
  return {
    socket,
    received: () => data,
    closed: closedP,
    isClosed: () => closed,
    status: (ms = 5000) =>
      new Promise<number>((resolve, reject) => {
        const end = Date.now() + ms;
        const check = () => {
          const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
          if (m) return resolve(Number(m[1]));
          if (Date.now() > end) return reject(new Error(`no response within ${ms} ms (received ${JSON.stringify(data.slice(0, 200))})`));
          setTimeout(check, 20);
        };
        check();
      }),
  };
}

/** The request head of a POST with the given headers (Host and Content-Length included). */
export function postHead(path: string, headers: Record<string, string | number>): string {
  return `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

/** The JSON body of a raw response (after the blank line), parsed. */
export function rawJson(received: string): unknown {
  const i = received.indexOf('\r\n\r\n');
  const body = received.slice(i + 4);
  // A chunked body: take the first chunk.
  const chunked = /transfer-encoding: chunked/i.test(received.slice(0, i));
  return JSON.parse(chunked ? body.split('\r\n')[1] : body);
}
