// The notifications route's part of /openapi.json, registered next to the route from the schemas it validates with.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { errorResponse, internal, invalid, ok } from '../http/openapi.js';
import { NotificationListSchema, NotificationsQuerySchema } from './schemas.js';

export function registerNotificationPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/notifications',
    operationId: 'listNotifications',
    summary: 'What the customer was told about an order',
    request: { query: NotificationsQuerySchema },
    responses: {
      200: ok('Notifications for the order', NotificationListSchema),
      ...invalid,
      ...internal,
      503: errorResponse('SERVICE_UNAVAILABLE: notifications is not reachable'),
    },
  });
}
