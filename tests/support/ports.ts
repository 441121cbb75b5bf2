// Ports for an `npm start` a test runs: picked now, bound by the stack up to a minute later.
import { findFreePortInRange } from '../../scripts/local-servers/ports.js';

/**
 * Hands out free ports below Linux's ephemeral range (32768–60999), never the same one twice. Every other test server
 * in the run binds port 0, which the kernel fills from the ephemeral range: a port picked there was once taken before
 * npm start bound it (EADDRINUSE, the stack gave up). And npm start rightly refuses two settings on one port, which a
 * second pick of a just-released port once caused.
 */
export function createPortPicker(): () => Promise<number> {
  const given = new Set<number>();
  return async () => {
    for (;;) {
      const port = await findFreePortInRange(20_000, 31_999);
      if (given.has(port)) continue;
      given.add(port);
      return port;
    }
  };
}
