// Starting and stopping every HTTP server the same way: listen, report the URL, and on close let in-flight requests finish.
import { once } from 'node:events';
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.js';

export interface ListenOptions {
  /** 0 picks a free port; `url` tells which. */
  port: number;
  host: string;
  log?: Logger;
  /**
   * How long close() lets in-flight requests finish before cutting their connections.
   * @default no limit: close() waits for every request in flight
   */
  graceMs?: number;
}

export interface ListeningServer {
  /** Where a local client reaches the server, e.g. http://127.0.0.1:3000 (the real port when port 0 was asked). */
  url: string;
  server: Server;
  /** Stops accepting connections, closes idle ones and resolves once the requests in flight have been answered. */
  close: () => Promise<void>;
}

/** The URL a local client reaches a listening server at (a wildcard bind address is reached through loopback). */
export function serverUrl(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** Listens with `app`; rejects when the port cannot be bound (e.g. taken), so the component fails to start. */
export async function listen(app: RequestListener, options: ListenOptions): Promise<ListeningServer> {
  const inFlight = new Set<ServerResponse>();
  let closing = false;
  const server = createServer((req, res) => {
    // Answers sent while closing close their connection, so keep-alive clients cannot hold the server open.
    if (closing) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    app(req, res);
  });
  server.listen(options.port, options.host);
  // once() rejects if 'error' comes first.
  await once(server, 'listening');

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      server.closeIdleConnections();
      const deadline =
        options.graceMs === undefined
          ? undefined
          : setTimeout(() => {
              options.log?.warn({ inFlight: inFlight.size, graceMs: options.graceMs }, 'requests still in flight after the grace period; cutting their connections');
              server.closeAllConnections();
            }, options.graceMs);
      try {
        await stopped;
      } finally {
        clearTimeout(deadline);
      }
    })();
    return closed;
  };

  return { url: serverUrl(server, options.host), server, close };
}
