// Waits for a local stack's component to answer GET /health, as the supervisors do before printing their banner.
import { delay } from './server-process.js';

const HINT_AFTER_MS = 120_000;

/**
 * Polls GET `url`/health until it answers 200 (true) or `stopped()` (false). The component may restart meanwhile, so
 * this keeps trying until then; after two minutes `say` gets a hint where to look.
 */
export async function waitForHealth(what: string, url: string, stopped: () => boolean, say: (line: string) => void): Promise<boolean> {
  const hintAfter = Date.now() + HINT_AFTER_MS;
  let hinted = false;
  while (!stopped()) {
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    if (!hinted && Date.now() > hintAfter) {
      say(`${what} at ${url} has not answered /health for 2 minutes; see its output above`);
      hinted = true;
    }
    await delay(500);
  }
  return false;
}
