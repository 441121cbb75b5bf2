// Operators' routes under /admin/dead-letters: list, look into, replay and purge dead-letter and unroutable queues.
import { Router, type Request } from 'express';
import {
  BrokerUnavailableError,
  DeadLetterNotFoundError,
  DeadLetterQueueNotFoundError,
  NotADeadLetterQueueError,
  ReplayTargetMissingError,
  type DeadLetters,
} from '../../platform/messaging/dead-letters.js';
import { HttpError, NotFoundError, ServiceUnavailableError, ValidationFailedError } from '../../platform/http/errors.js';
import { parseRequest } from '../../platform/http/validation.js';
import {
  DeadLetterQueueParamsSchema,
  PurgeDeadLettersQuerySchema,
  ReplayDeadLettersRequestSchema,
  ShowDeadLettersQuerySchema,
} from './schemas.js';

/** The queue a dead letter came from no longer exists: replaying would lose it, so nothing moved. */
export class ReplayTargetMissingApiError extends HttpError {
  override readonly name = 'ReplayTargetMissingApiError';
  constructor(message: string) {
    super(409, 'REPLAY_TARGET_MISSING', message);
  }
}

/** The service's errors in the one HTTP error family; a live queue is "not found" here, never touched. */
function toHttpError(error: unknown): unknown {
  if (error instanceof NotADeadLetterQueueError || error instanceof DeadLetterQueueNotFoundError || error instanceof DeadLetterNotFoundError) {
    return new NotFoundError(error.message);
  }
  if (error instanceof ReplayTargetMissingError) return new ReplayTargetMissingApiError(error.message);
  if (error instanceof BrokerUnavailableError) return new ServiceUnavailableError(error.message);
  return error;
}

export function createDeadLetterRouter(deadLetters: DeadLetters): Router {
  const router = Router();
  const queueOf = (req: Request) => parseRequest(DeadLetterQueueParamsSchema, req.params, 'path').queue;
  const handle = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw toHttpError(error);
    }
  };

  router.get('/', async (_req, res) => {
    res.json({ queues: await handle(() => deadLetters.list()) });
  });

  router.get('/:queue', async (req, res) => {
    const queue = queueOf(req);
    const { limit } = parseRequest(ShowDeadLettersQuerySchema, req.query, 'query');
    res.json({ queue, messages: await handle(() => deadLetters.show(queue, { limit })) });
  });

  router.post('/:queue/replay', async (req, res) => {
    const queue = queueOf(req);
    // No body at all means "replay everything", as an empty object does.
    const body = parseRequest(ReplayDeadLettersRequestSchema, req.body ?? {}, 'body');
    if (body.messageId !== undefined && body.limit !== undefined) {
      throw new ValidationFailedError([{ path: 'limit', message: 'use either messageId or limit' }], 'request body');
    }
    res.json({ replayed: await handle(() => deadLetters.replay(queue, body)) });
  });

  router.delete('/:queue', async (req, res) => {
    const queue = queueOf(req);
    const { messageId } = parseRequest(PurgeDeadLettersQuerySchema, req.query, 'query');
    res.json({ purged: await handle(() => deadLetters.purge(queue, { messageId })) });
  });

  return router;
}
