// Fault injection for the stand-in: test-only knobs that make the next API requests fail, slow down or lose their answer, as a real processor sometimes does.
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { errorBody } from '../platform/http/errors.js';

/**
 * Test-only behaviour of a stand-in; a real processor has nothing like it. Set with `POST /__faults`,
 * read with `GET /__faults`, cleared with `DELETE /__faults`. Each POST replaces the previous settings.
 * - `failNextRequests: N` — the next N `/v1` requests answer `status` (default 503) without being processed.
 * - `delayMs: D` — `/v1` requests wait D ms before being handled (or failed); for the next `delayNextRequests`
 *   requests when that is given, otherwise until cleared. Lets tests exercise client timeouts.
 * - `delayAnswerMs: D` — `/v1` requests are processed (and committed) at once, but their answer is held for D ms;
 *   for the next `delayAnswerNextRequests` processed requests when that is given, otherwise until cleared. This is
 *   the processor that charged the card and then answered too late (or never, when it dies meanwhile): the client
 *   times out on work that was done, and only its idempotency key keeps the retry from doing it twice.
 * `GET /__faults` also reports `heldRequests` and `heldAnswers`: how many requests are waiting right now before
 * being handled, and how many processed answers are being held, so a test can land a kill while they are in flight.
 * Kept in memory on purpose: it belongs to one running stand-in, not to the payments it stores.
 */
export const faultSettingsSchema = z.strictObject({
  failNextRequests: z.number().int().min(0).max(10_000).optional(),
  status: z.number().int().min(500).max(599).optional(),
  delayMs: z.number().int().min(0).max(120_000).optional(),
  delayNextRequests: z.number().int().min(0).max(10_000).optional(),
  delayAnswerMs: z.number().int().min(0).max(120_000).optional(),
  delayAnswerNextRequests: z.number().int().min(0).max(10_000).optional(),
});
export type FaultSettings = z.infer<typeof faultSettingsSchema>;

export interface FaultState {
  failNextRequests: number;
  status: number;
  delayMs: number;
  /** Requests still to be delayed; null means every request until cleared. */
  delayNextRequests: number | null;
  delayAnswerMs: number;
  /** Processed requests whose answer is still to be held; null means every one until cleared. */
  delayAnswerNextRequests: number | null;
}

export interface FaultReport extends FaultState {
  /** Requests waiting out `delayMs` right now, not yet processed. */
  heldRequests: number;
  /** Requests already processed whose answer is being held right now. */
  heldAnswers: number;
}

const noFaults = (): FaultState => ({
  failNextRequests: 0,
  status: 503,
  delayMs: 0,
  delayNextRequests: null,
  delayAnswerMs: 0,
  delayAnswerNextRequests: null,
});

/** Takes one use of a "for the next N" allowance; null is unlimited. */
const takeOne = (remaining: number | null): { granted: boolean; remaining: number | null } =>
  remaining === null ? { granted: true, remaining } : remaining > 0 ? { granted: true, remaining: remaining - 1 } : { granted: false, remaining };

export class FaultInjector {
  private state = noFaults();
  // In-flight counts outlive a reconfiguration: they describe requests, not settings.
  private heldRequests = 0;
  private heldAnswers = 0;

  configure(settings: FaultSettings): FaultReport {
    this.state = {
      failNextRequests: settings.failNextRequests ?? 0,
      status: settings.status ?? 503,
      delayMs: settings.delayMs ?? 0,
      delayNextRequests: settings.delayNextRequests ?? null,
      delayAnswerMs: settings.delayAnswerMs ?? 0,
      delayAnswerNextRequests: settings.delayAnswerNextRequests ?? null,
    };
    return this.current();
  }

  clear(): FaultReport {
    this.state = noFaults();
    return this.current();
  }

  current(): FaultReport {
    return { ...this.state, heldRequests: this.heldRequests, heldAnswers: this.heldAnswers };
  }

  /** Express middleware for the API routes: decides the fault when the request arrives, so counts follow arrival order. */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const state = this.state;
    let delayMs = 0;
    if (state.delayMs > 0) {
      const take = takeOne(state.delayNextRequests);
      state.delayNextRequests = take.remaining;
      if (take.granted) delayMs = state.delayMs;
    }
    const fail = state.failNextRequests > 0;
    if (fail) state.failNextRequests -= 1;
    // Only a request that is processed can have its answer held; a failed one was never processed.
    if (!fail && state.delayAnswerMs > 0) {
      const take = takeOne(state.delayAnswerNextRequests);
      state.delayAnswerNextRequests = take.remaining;
      if (take.granted) this.holdAnswer(res, state.delayAnswerMs);
    }
    if (!fail && delayMs === 0) return next();

    const act = () => {
      if (!fail) return next();
      res.status(state.status).json(errorBody('injected_fault', `fault injected by the stand-in for ${req.method} ${req.path}`));
    };
    if (delayMs === 0) return act();
    this.heldRequests += 1;
    setTimeout(() => {
      this.heldRequests -= 1;
      act();
    }, delayMs);
  };

  /** Lets the handler run and commit, then sits on its answer; a client that gave up meanwhile never gets it. */
  private holdAnswer(res: Response, ms: number): void {
    const json = res.json.bind(res);
    res.json = ((body: unknown) => {
      this.heldAnswers += 1;
      let held = true;
      const release = () => {
        if (!held) return false;
        held = false;
        this.heldAnswers -= 1;
        clearTimeout(timer);
        return true;
      };
      const timer = setTimeout(() => {
        if (release()) json(body);
      }, ms);
      // The client timed out or the server is cutting connections: the answer has nobody to go to.
      res.once('close', release);
      return res;
    }) as Response['json'];
  }
}
