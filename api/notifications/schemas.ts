// The notifications route's contract as zod schemas: the query is validated with them and its /openapi.json path generated from them.
import { z } from 'zod';
import { identifier } from '../http/schema-fields.js';

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
  orderId: identifier('orderId', 100),
});
