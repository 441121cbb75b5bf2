// The operators' dead-letter routes (/admin/dead-letters) as zod schemas: requests are validated with them and their /openapi.json paths generated from them.
import { z } from 'zod';
import { DEFAULT_SHOW_LIMIT, MAX_SHOW_LIMIT } from '../../platform/messaging/dead-letters.js';
import { identifier, typeError } from '../http/schema-fields.js';

const queueName = identifier('queue', 255).meta({ description: 'A dead-letter queue (`<queue>.dlq`) or the unroutable queue', example: 'inventory.dlq' });
const messageIdField = identifier('messageId', 200).meta({ description: 'The message (event) id; without it, every message' });

export const DeadLetterQueueSchema = z
  .strictObject({
    queue: z.string(),
    consumerQueue: z.string().nullable().meta({ description: 'The consumer queue whose failures land here; null for unroutable events' }),
    kind: z.enum(['dead-letter', 'unroutable']),
    messages: z.number().int().meta({ description: 'Messages waiting' }),
  })
  .meta({ id: 'DeadLetterQueue' });

export const DeadLetterQueueListSchema = z.strictObject({ queues: z.array(DeadLetterQueueSchema) }).meta({ id: 'DeadLetterQueueList' });

export const DeadLetterSchema = z
  .strictObject({
    messageId: z.string().nullable(),
    type: z.string().nullable().meta({ description: 'Event type (routing key)' }),
    orderId: z.string().nullable(),
    attempts: z.number().int().nullable().meta({ description: "The consumer's attempts; null when the broker dead-lettered it (delivery limit) or it was unroutable" }),
    reason: z.string().meta({ description: "The handler's last error, the broker's reason, or why it was unroutable" }),
    deadLetteredAt: z.string().nullable(),
    originalQueue: z.string().nullable().meta({ description: 'Where replay sends it; null for unroutable events (replayed to the events exchange)' }),
    event: z.unknown().meta({ description: 'The event as published (the raw body when it is not JSON)' }),
  })
  .meta({ id: 'DeadLetter' });

export const DeadLetterListSchema = z.strictObject({ queue: z.string(), messages: z.array(DeadLetterSchema) }).meta({ id: 'DeadLetterList' });

export const DeadLetterQueueParamsSchema = z.strictObject({ queue: queueName });

export const ShowDeadLettersQuerySchema = z.strictObject({
  limit: z.coerce
    .number({ error: typeError('limit', 'a number') })
    .int('limit must be an integer')
    .min(1, 'limit must be at least 1')
    .max(MAX_SHOW_LIMIT, `limit must be at most ${MAX_SHOW_LIMIT}`)
    .default(DEFAULT_SHOW_LIMIT),
});

export const ReplayDeadLettersRequestSchema = z
  .strictObject(
    {
      messageId: messageIdField.optional(),
      limit: z.number({ error: typeError('limit', 'a number') }).int('limit must be an integer').min(1, 'limit must be at least 1').optional()
        .meta({ description: 'Replay only the first N' }),
    },
    { error: typeError('body', 'a JSON object') },
  )
  .meta({ id: 'ReplayDeadLettersRequest' });

export const ReplayedSchema = z.strictObject({ replayed: z.number().int() }).meta({ id: 'DeadLettersReplayed' });

export const PurgeDeadLettersQuerySchema = z.strictObject({ messageId: messageIdField.optional() });

export const PurgedSchema = z.strictObject({ purged: z.number().int() }).meta({ id: 'DeadLettersPurged' });
