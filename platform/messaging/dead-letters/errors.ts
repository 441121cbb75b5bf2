// What the dead-letter tooling reports when it cannot do what was asked; the API and the CLI map these to their answers.
import { DEAD_LETTER_SUFFIX, unroutableQueueName } from '../wire-names.js';

/** The tool only ever touches dead-letter and unroutable queues: a live queue is refused by name. */
export class NotADeadLetterQueueError extends Error {
  override readonly name = 'NotADeadLetterQueueError';
  constructor(readonly queue: string, exchange: string) {
    super(`${queue} is not a dead-letter queue (expected a name ending in "${DEAD_LETTER_SUFFIX}", or ${unroutableQueueName(exchange)})`);
  }
}

export class DeadLetterQueueNotFoundError extends Error {
  override readonly name = 'DeadLetterQueueNotFoundError';
  constructor(readonly queue: string) {
    super(`Dead-letter queue ${queue} does not exist`);
  }
}

export class DeadLetterNotFoundError extends Error {
  override readonly name = 'DeadLetterNotFoundError';
  constructor(readonly queue: string, readonly messageId: string) {
    super(`No message with id ${messageId} in ${queue}`);
  }
}

/** The queue a dead letter came from is gone; the message stays where it is. */
export class ReplayTargetMissingError extends Error {
  override readonly name = 'ReplayTargetMissingError';
  constructor(readonly queue: string, readonly target: string) {
    super(`Cannot replay from ${queue}: queue ${target} does not exist (start its consumer first); the message was kept`);
  }
}

export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
