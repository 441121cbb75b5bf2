// GET /journal?orderId=: the small HTTP surface through which a component shares its journal with the order timeline.
import { Router } from 'express';
import { z } from 'zod';
import { parseRequest } from '../http/validation.js';
import type { Journal } from './journal.js';

const journalQuery = z.strictObject({ orderId: z.string().min(1).max(200) });

export function journalRouter(journal: Journal): Router {
  const router = Router();
  router.get('/journal', async (req, res) => {
    const { orderId } = parseRequest(journalQuery, req.query, 'query');
    res.json({ orderId, entries: await journal.forOrder(orderId) });
  });
  return router;
}
