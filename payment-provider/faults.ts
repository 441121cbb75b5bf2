// Fault injection for the stand-in: test-only knobs that make the next API requests fail or slow down, as a real processor sometimes does.
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { errorBody } from './store.js';

/**
 * Test-only behaviour of a stand-in; a real processor has nothing like it. Set with `POST /__faults`,
 * read with `GET /__faults`, cleared with `DELETE /__faults`. Each POST replaces the previous settings.
 * - `failNextRequests: N` — the next N `/v1` requests answer `status` (default 503) without being processed.
 * - `delayMs: D` — `/v1` requests wait D ms before being handled (or failed); for the next `delayNextRequests`
 *   requests when that is given, otherwise until cleared. Lets tests exercise client timeouts.
 * Kept in memory on purpose: it belongs to one running stand-in, not to the payments it stores.
 */
export const faultSettingsSchema = z.strictObject({
  failNextRequests: z.number().int().min(0).max(10_000).optional(),
  status: z.number().int().min(500).max(599).optional(),
  delayMs: z.number().int().min(0).max(120_000).optional(),
  delayNextRequests: z.number().int().min(0).max(10_000).optional(),
});
export type FaultSettings = z.infer<typeof faultSettingsSchema>;

export interface FaultState {
  failNextRequests: number;
  status: number;
  delayMs: number;
  /** Requests still to be delayed; null means every request until cleared. */
  delayNextRequests: number | null;
}

const noFaults = (): FaultState => ({ failNextRequests: 0, status: 503, delayMs: 0, delayNextRequests: null });

export class FaultInjector {
  private state = noFaults();

  configure(settings: FaultSettings): FaultState {
    this.state = {
      failNextRequests: settings.failNextRequests ?? 0,
      status: settings.status ?? 503,
      delayMs: settings.delayMs ?? 0,
      delayNextRequests: settings.delayNextRequests ?? null,
    };
    return this.current();
  }

  clear(): FaultState {
    this.state = noFaults();
    return this.current();
  }

  current(): FaultState {
    return { ...this.state };
  }

  /** Express middleware for the API routes: decides the fault when the request arrives, so counts follow arrival order. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const state = this.state;
    let delayMs = 0;
    if (state.delayMs > 0 && (state.delayNextRequests === null || state.delayNextRequests > 0)) {
      delayMs = state.delayMs;
      if (state.delayNextRequests !== null) state.delayNextRequests -= 1;
    }
    const fail = state.failNextRequests > 0;
    if (fail) state.failNextRequests -= 1;
    if (!fail && delayMs === 0) return next();

    const act = () => {
      if (!fail) return next();
      res.status(state.status).json(errorBody('injected_fault', `fault injected by the stand-in for ${req.method} ${req.path}`));
    };
    if (delayMs > 0) setTimeout(act, delayMs);
    else act();
  };
}
