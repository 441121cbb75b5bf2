// What a consuming component provides: its reaction to each event type it needs, from which its queue bindings follow.
import type { EventType, IntegrationEvent } from '../events/catalog.js';
import type { Logger } from '../logger.js';
import { PoisonMessageError } from './errors.js';

export interface HandlerContext {
  /** 1 on first delivery; counts retries and the broker's redeliveries (after a consumer crashed holding it). */
  attempt: number;
  /** The broker delivered it again because a consumer died or lost its channel before settling it. */
  redelivered?: boolean;
  /** When an operator replayed it from the dead-letter queue, if it was. */
  replayedAt?: string;
  log: Logger;
}

/** A handler resolves 'duplicate' when it recognised the event as one it had already handled (and did nothing). */
export type HandlingOutcome = 'handled' | 'duplicate';

export type EventHandler = (event: IntegrationEvent, context: HandlerContext) => Promise<HandlingOutcome | void>;

/**
 * A component's reactions, one per event type it consumes, as eShop registers each integration event with its
 * handler. `Args` are what the reaction gets besides the event (the handler context; a transaction too, for
 * components with a store). The queue is bound to exactly these types, so bindings and handling cannot disagree.
 */
export type Reactions<Args extends unknown[]> = {
  [T in EventType]?: (event: IntegrationEvent<T>, ...args: Args) => Promise<void>;
};

/** The routing keys a consumer's queue is bound to: the event types it reacts to. */
export function bindingsOf<Args extends unknown[]>(reactions: Reactions<Args>): EventType[] {
  return Object.keys(reactions) as EventType[];
}

/** One handler that runs the reaction for each event's type; an event the component has no reaction to is poison. */
export function dispatchTo<Args extends unknown[]>(component: string, reactions: Reactions<Args>) {
  return async (event: IntegrationEvent, ...args: Args): Promise<void> => {
    const react = reactions[event.type] as ((event: IntegrationEvent, ...args: Args) => Promise<void>) | undefined;
    if (!react) throw new PoisonMessageError(`${component} does not handle ${event.type}`);
    await react(event, ...args);
  };
}
