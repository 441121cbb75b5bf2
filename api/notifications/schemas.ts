// The notifications route's contract as zod schemas: the query is validated with them and its /openapi.json path generated from them.
import { z } from 'zod';

export const NotificationSchema = z
  .object({
    id: z.string(),
    orderId: z.string(),
    type: z.string(),
    channel: z.string(),
    to: z.string(),
    sentAt: z.string().nullable(),
  })
  .meta({ id: 'Notification' });

export const NotificationListSchema = z.object({ notifications: z.array(NotificationSchema) }).meta({ id: 'NotificationList' });

export const NotificationsQuerySchema = z.strictObject({
  orderId: z.string({ error: 'orderId is required' }).min(1, 'orderId must not be empty').max(100, 'orderId is too long'),
});
