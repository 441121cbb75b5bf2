// The order view's reactions: every event it consumes is kept as the order's facts, and the order's row folded again.
import type { IntegrationEvent } from '../../platform/events/catalog.js';
import { PoisonMessageError } from '../../platform/messaging/errors.js';
import type { HandlerContext, Reactions } from '../../platform/messaging/event-handler.js';
import type { Queryable } from '../../platform/store/database.js';
import { createOrderViewStore } from './store.js';
import { factOf, viewEventTypes } from './story.js';

/**
 * No reaction waits for another event: a fact that comes before the one it follows in the story is kept, and the fold
 * puts it in its place once the other arrives. Nothing is retried for ordering, and nothing later is overwritten.
 */
async function keepFact(event: IntegrationEvent, tx: Queryable, _context: HandlerContext): Promise<void> {
  const fact = factOf(event);
  if (!fact) throw new PoisonMessageError(`order-view keeps no facts of ${event.type}`);
  await createOrderViewStore(tx).apply(fact);
}

export const orderViewReactions: Reactions<[Queryable, HandlerContext]> = Object.fromEntries(viewEventTypes.map((type) => [type, keepFact]));
