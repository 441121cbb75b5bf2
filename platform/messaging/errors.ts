// How a consumer classifies a failure: retry later (the default) or dead-letter at once (poison).

/** The message can never be handled as it is (invalid shape, impossible state): dead-letter it without retrying. */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Something this consumer depends on is not ready yet (e.g. an earlier event not seen): retry with backoff. */
export class NotReadyError extends Error {
  override readonly name = 'NotReadyError';
}
