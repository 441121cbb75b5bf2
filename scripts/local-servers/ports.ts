// TCP port helpers for the local stack: pick free ports for throwaway servers, refuse to start on busy ones.
import { createServer } from 'node:net';

/** Asks the kernel for a port nobody listens on (on 127.0.0.1). Another process may still take it before we do. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

/**
 * A free port in [min, max], for servers that cannot take the kernel's picks (which come from the ephemeral range, above
 * 32767 on Linux): random tries, so two stacks starting together rarely try the same one.
 */
export async function findFreePortInRange(min: number, max: number, tries = 200): Promise<number> {
  for (let attempt = 0; attempt < tries; attempt++) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    if (!(await isPortInUse(port))) return port;
  }
  throw new Error(`no free port found between ${min} and ${max} after ${tries} tries`);
}

/** Whether something already listens on 127.0.0.1:port (or on all interfaces, which blocks it too). */
export function isPortInUse(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(true);
      else reject(error);
    });
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

export interface PortClaim {
  port: number;
  /** What will listen there, e.g. "API". */
  what: string;
  /** The environment variable that moves it elsewhere, e.g. "PORT". */
  variable: string;
}

export class PortsInUseError extends Error {
  override readonly name = 'PortsInUseError';
  constructor(readonly busy: PortClaim[]) {
    super(busy.map((claim) => `Port ${claim.port} (${claim.what}, set ${claim.variable}) is already in use`).join('\n'));
  }
}

/** Fails fast, naming every busy port and the variable that moves it, before anything is started. */
export async function assertPortsFree(claims: PortClaim[]): Promise<void> {
  const busy: PortClaim[] = [];
  for (const claim of claims) {
    if (claim.port === 0) continue;
    if (await isPortInUse(claim.port)) busy.push(claim);
  }
  const duplicates = claims.filter((claim, index) => claim.port !== 0 && claims.findIndex((other) => other.port === claim.port) !== index);
  if (duplicates.length > 0) {
    throw new Error(duplicates.map((claim) => `Port ${claim.port} (${claim.what}, set ${claim.variable}) is also assigned to another server`).join('\n'));
  }
  if (busy.length > 0) throw new PortsInUseError(busy);
}
