// Small helpers shared by the HTTP servers of every component.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The URL a local client reaches a listening server at (a wildcard bind address is reached through loopback). */
export function serverUrl(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
