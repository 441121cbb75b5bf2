// The notifications route's part of /openapi.json, registered next to the route from the schemas it validates with.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { errorResponse, internal, invalid, ok, tokenRoute, unauthenticated } from '../http/openapi.js';
import { NotificationListSchema, NotificationsQuerySchema } from './schemas.js';

export function registerNotificationPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/notifications',
    operationId: 'listNotifications',
    summary: "What the customer was told about an order (a customer's own orders only)",
    ...tokenRoute,
    request: { query: NotificationsQuerySchema },
    responses: {
      200: ok('Notifications for the order', NotificationListSchema),
      ...invalid,
      ...unauthenticated,
      404: errorResponse("NOT_FOUND: a customer asked about an order that is not theirs (or does not exist); the same answer either way"),
      ...internal,
      503: errorResponse('SERVICE_UNAVAILABLE: notifications is not reachable'),
    },
  });
}
