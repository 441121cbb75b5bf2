// TCP port helpers for the local stack: pick free ports for throwaway servers, refuse to start on busy ones.
import { createServer } from 'node:net';

/**
 * Linux takes the source port of every outgoing connection from 32768–60999 (macOS from 49152 up). A port picked there and
 * bound a few seconds later by another process can meanwhile become some connection's source port, and the server
 * then fails with EADDRINUSE; below the range only a server's own bind can take it.
 */
const BELOW_EPHEMERAL = { min: 20_000, max: 32_767 } as const;
const handedOut = new Set<number>();

/**
 * A port nobody listens on (on 127.0.0.1), for a server that binds it later, perhaps in another process: below the
 * ephemeral range, and never the same port twice in one process, so the ports of one plan always differ.
 */
export async function findFreePort(): Promise<number> {
  for (;;) {
    const port = await findFreePortInRange(BELOW_EPHEMERAL.min, BELOW_EPHEMERAL.max);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** A free port in [min, max]: random tries, so two stacks starting together rarely try the same one. */
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
