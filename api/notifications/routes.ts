// The notifications route: what an order's customer was told, read from the notifications component (the owner).
import { Router } from 'express';
import { parseRequest } from '../../platform/http/validation.js';
import { upstreamUrl, type CallUpstream } from '../http/upstream.js';
import { NotificationsQuerySchema } from './schemas.js';

export function createNotificationsRouter({ notificationsUrl, callUpstream }: { notificationsUrl: string; callUpstream: CallUpstream }): Router {
  const router = Router();

  router.get('/notifications', async (req, res) => {
    const { orderId } = parseRequest(NotificationsQuerySchema, req.query, 'query');
    const answer = await callUpstream('notifications', upstreamUrl(notificationsUrl, `/notifications?orderId=${encodeURIComponent(orderId)}`));
    res.status(answer.status).json(answer.body);
  });

  return router;
}
