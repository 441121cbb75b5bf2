// The notifications route: what an order's customer was told, read from the notifications component (the owner).
import { Router } from 'express';
import { parseRequest } from '../../platform/http/validation.js';
import { upstreamUrl, type CallUpstream } from '../http/upstream.js';
import { NotificationsQuerySchema } from './schemas.js';
import { callerOf, requireAuthenticated } from '../http/auth.js';
import type { ReadVisibleOrder } from '../orders/access.js';

export interface NotificationsRouterOptions {
  notificationsUrl: string;
  callUpstream: CallUpstream;
  /** The order's owner is known to the orders side only; notifications are checked against it. */
  readVisibleOrder: ReadVisibleOrder;
}

export function createNotificationsRouter({ notificationsUrl, callUpstream, readVisibleOrder }: NotificationsRouterOptions): Router {
  const router = Router();

  router.get('/notifications', requireAuthenticated, async (req, res) => {
    const { orderId } = parseRequest(NotificationsQuerySchema, req.query, 'query');
    const caller = callerOf(res);
    // A customer reads only their own order's notifications (someone else's order is a 404); operators read any.
    if (caller.role !== 'admin') await readVisibleOrder(caller, orderId);
    const answer = await callUpstream('notifications', upstreamUrl(notificationsUrl, `/notifications?orderId=${encodeURIComponent(orderId)}`));
    res.status(answer.status).json(answer.body);
  });

  return router;
}
