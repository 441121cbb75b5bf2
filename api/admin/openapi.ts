// The operators' dead-letter routes' part of /openapi.json, registered next to the routes from the schemas they validate with.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { adminErrors, errorResponse, internal, invalid, json, ok, tokenRoute } from '../http/openapi.js';
import {
  DeadLetterListSchema,
  DeadLetterQueueListSchema,
  DeadLetterQueueParamsSchema,
  PurgeDeadLettersQuerySchema,
  PurgedSchema,
  ReplayDeadLettersRequestSchema,
  ReplayedSchema,
  ShowDeadLettersQuerySchema,
} from './schemas.js';

export function registerDeadLetterPaths(registry: OpenAPIRegistry): void {
  const notDeadLetterQueue = { 404: errorResponse('NOT_FOUND: no such dead-letter queue, or the name is not one (live queues are never touched)') };
  const brokerDown = { 503: errorResponse('SERVICE_UNAVAILABLE: RabbitMQ or its management API is not reachable') };

  registry.registerPath({
    method: 'get',
    path: '/admin/dead-letters',
    operationId: 'listDeadLetterQueues',
    tags: ['admin'],
    ...tokenRoute,
    summary: 'Operators: every dead-letter queue and the unroutable queue, with its depth',
    responses: { 200: ok('The dead-letter queues', DeadLetterQueueListSchema), ...adminErrors, ...internal, ...brokerDown },
  });

  registry.registerPath({
    method: 'get',
    path: '/admin/dead-letters/{queue}',
    operationId: 'showDeadLetters',
    tags: ['admin'],
    ...tokenRoute,
    summary: 'Operators: the first messages of a dead-letter queue, with why each is there; nothing is removed',
    request: { params: DeadLetterQueueParamsSchema, query: ShowDeadLettersQuerySchema },
    responses: { 200: ok('The messages, oldest first', DeadLetterListSchema), ...invalid, ...notDeadLetterQueue, ...adminErrors, ...internal, ...brokerDown },
  });

  registry.registerPath({
    method: 'post',
    path: '/admin/dead-letters/{queue}/replay',
    operationId: 'replayDeadLetters',
    tags: ['admin'],
    ...tokenRoute,
    summary: 'Operators: move messages back to the queue they failed in (unroutable events: to the events exchange), attempts reset',
    request: { params: DeadLetterQueueParamsSchema, body: { required: false, content: json(ReplayDeadLettersRequestSchema) } },
    responses: {
      200: ok('How many were moved', ReplayedSchema),
      ...invalid,
      404: errorResponse('NOT_FOUND: no such dead-letter queue (or not one), or no message with that id'),
      409: errorResponse('REPLAY_TARGET_MISSING: the queue the message came from does not exist; it was kept'),
      ...adminErrors,
      ...internal,
      ...brokerDown,
    },
  });

  registry.registerPath({
    method: 'delete',
    path: '/admin/dead-letters/{queue}',
    operationId: 'purgeDeadLetters',
    tags: ['admin'],
    ...tokenRoute,
    summary: 'Operators: drop the message with messageId, or every message of the dead-letter queue',
    request: { params: DeadLetterQueueParamsSchema, query: PurgeDeadLettersQuerySchema },
    responses: {
      200: ok('How many were dropped', PurgedSchema),
      ...invalid,
      404: errorResponse('NOT_FOUND: no such dead-letter queue (or not one), or no message with that id'),
      ...adminErrors,
      ...internal,
      ...brokerDown,
    },
  });
}
