// Inventory's work offered as calls, for the pure-orchestration flow the bench compares with choreography: reserve and commit.
import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { ConflictError } from '../../platform/http/errors.js';
import { parseRequest } from '../../platform/http/validation.js';
import type { Logger } from '../../platform/logger.js';
import { NotReadyError, PoisonMessageError } from '../../platform/messaging/errors.js';
import type { Database } from '../../platform/store/database.js';
import { commitStock, reserveStock } from './handlers.js';

const orderParams = z.object({ orderId: z.string().min(1).max(200) });
const reserveBody = z.strictObject({
  lines: z.array(z.strictObject({ sku: z.string().min(1).max(64), quantity: z.number().int().positive().max(1_000_000) })).min(1).max(100),
});

/**
 * The same reservation and commit the event reactions run, in one transaction each, answered in the response
 * instead of by an event. Each is idempotent, as the reactions are, so a caller may retry any of them: a reservation
 * asked again gets the first answer. Catalog replicas still learn new availability by event (from the outbox).
 */
export function inventoryCallsRouter({ db, log, afterCommit }: { db: Database; log: Logger; afterCommit: () => void }): Router {
  const router = Router();
  // The caller's correlation id (the workflow id) ties the product-updated events to the order that caused them.
  const causationOf = (req: Request) => {
    const correlationId = req.get('x-correlation-id') ?? randomUUID();
    return { correlationId, causationId: correlationId };
  };

  router.post('/orders/:orderId/reservation', async (req, res) => {
    const { orderId } = parseRequest(orderParams, req.params, 'path');
    const { lines } = parseRequest(reserveBody, req.body, 'body');
    const decision = await db.transaction((tx) => reserveStock(tx, orderId, lines, causationOf(req), log));
    afterCommit();
    res.json({ orderId, ...decision });
  });

  router.post('/orders/:orderId/reservation/commit', async (req, res) => {
    const { orderId } = parseRequest(orderParams, req.params, 'path');
    try {
      await db.transaction((tx) => commitStock(tx, orderId, log));
    } catch (error) {
      // A caller that orders the steps itself never commits what it did not reserve: say so rather than retry.
      if (error instanceof NotReadyError || error instanceof PoisonMessageError) throw new ConflictError(error.message);
      throw error;
    }
    res.json({ orderId, status: 'COMMITTED' });
  });

  return router;
}
