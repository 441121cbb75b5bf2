// The opaque `cursor` of GET /orders: the page position of the store that answered (order view or Temporal), bound to the filter it was issued for.
import { createHash } from 'node:crypto';
import { ValidationFailedError } from '../../platform/http/errors.js';

/**
 * Cursors carry the store's page token plus a checksum over it and the filter: a damaged cursor, or one from another
 * filter, is a clear 400 here instead of a token the server retries on until the deadline.
 */
function cursorChecksum(token: Uint8Array, filter: object): string {
  return createHash('sha256').update(JSON.stringify(filter)).update(token).digest('base64url').slice(0, 16);
}

export function encodeCursor(token: Uint8Array, filter: object): string {
  return `${Buffer.from(token).toString('base64url')}.${cursorChecksum(token, filter)}`;
}

export function decodeCursor(cursor: string, filter: object): Uint8Array {
  const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{16})$/.exec(cursor);
  const token = match ? Buffer.from(match[1]!, 'base64url') : undefined;
  if (!match || !token || token.length === 0 || cursorChecksum(token, filter) !== match[2]) {
    throw new ValidationFailedError(
      [{ path: 'cursor', message: 'cursor is not valid (pass nextCursor unchanged, with the same customerId and status)' }],
      'request query',
    );
  }
  return token;
}
