// The order workflow's activities, built from their dependencies so they can be tested without globals.
import { ApplicationFailure, Context } from '@temporalio/activity';
import { crashPoint } from '../platform/crash-points.js';
import type { CatalogReplicaStore } from '../catalog-replica/store.js';
import { createEvent, type EventData, type EventType, type IntegrationEvent } from '../platform/events/catalog.js';
import type { EventPublisher } from '../platform/messaging/publisher.js';
import type { PaymentTokenSeal } from '../platform/temporal/payment-token-seal.js';
import { OrderFailureType, type CartVerification, type OrderItem } from '../workflows/contract.js';
import { verifyCartAgainst } from './cart-verification.js';
import { PaymentDeclinedError, type PaymentProviderClient } from './payment-provider-client.js';

export interface ActivityDependencies {
  catalog: CatalogReplicaStore;
  payments: PaymentProviderClient;
  publisher: EventPublisher;
  /** Opens the token the API sealed; nothing upstream of this activity ever holds it in clear. */
  paymentTokens: Pick<PaymentTokenSeal, 'open'>;
}

export interface PublishEventInput<T extends EventType = EventType> {
  type: T;
  data: EventData<T>;
  orderId: string;
  /** Deterministic (order id + step) so a retried activity publishes the same event. */
  eventId: string;
  correlationId: string;
}

export interface PublishedEvent {
  type: EventType;
  eventId: string;
}

export function createActivities({ catalog, payments, publisher, paymentTokens }: ActivityDependencies) {
  return {
    async verifyCart(input: { items: OrderItem[]; expectedTotal?: number }): Promise<CartVerification> {
      const products = await catalog.getMany(input.items.map((item) => item.sku));
      return verifyCartAgainst(input.items, products, input.expectedTotal);
    },

    /** `token` is sealed (platform/temporal/payment-token-seal.ts), or a plain `tok_…` of an order placed before sealing. */
    async authorizePayment(input: { orderId: string; amount: number; currency: string; token: string }): Promise<{ authorizationId: string }> {
      // Opened here, not earlier: a key missing from PAYLOAD_KEYS throws a retryable error, so the order waits for the fix.
      const token = paymentTokens.open(input.token);
      try {
        const authorization = await payments.authorize({ ...input, token, idempotencyKey: `authorize:${input.orderId}` });
        // Authorized at the processor, not yet recorded by Temporal: the retry must find the same authorization.
        crashPoint('worker:after-authorize');
        return authorization;
      } catch (error) {
        if (error instanceof PaymentDeclinedError) {
          throw ApplicationFailure.create({ type: OrderFailureType.PaymentDeclined, message: error.reason, nonRetryable: true });
        }
        throw error;
      }
    },

    async capturePayment(input: { orderId: string; authorizationId: string }): Promise<void> {
      await payments.capture({ authorizationId: input.authorizationId, idempotencyKey: `capture:${input.orderId}` });
    },

    async voidPayment(input: { orderId: string; authorizationId: string }): Promise<void> {
      await payments.voidAuthorization({ authorizationId: input.authorizationId, idempotencyKey: `void:${input.orderId}` });
    },

    /**
     * Answers which event it published: a local activity's input is not kept in the workflow history, its result is,
     * and the order's timeline reads the event from there.
     */
    async publishEvent<T extends EventType>(input: PublishEventInput<T>): Promise<PublishedEvent> {
      const event = createEvent(input.type, input.data, {
        eventId: input.eventId,
        correlationId: input.correlationId,
        orderId: input.orderId,
        causationId: causationOf(),
      });
      crashPoint('worker:before-publish');
      await publisher.publish(event as IntegrationEvent);
      activityLog()?.info('event published', { type: input.type, eventId: input.eventId, orderId: input.orderId });
      return { type: input.type, eventId: input.eventId };
    },
  };
}

/**
 * The activity's logger: the SDK adds workflowId, runId and activityType to each line and routes it to the worker's
 * pino logger (platform/observability/temporal-runtime.ts). Absent when called outside an activity (unit tests).
 */
function activityLog() {
  try {
    return Context.current().log;
  } catch {
    return undefined;
  }
}

/** The workflow run that caused the event, so a reader can walk from an event to its history in the Temporal UI. */
function causationOf(): string | undefined {
  try {
    const execution = Context.current().info.workflowExecution;
    return execution ? `${execution.workflowId}/${execution.runId}` : undefined;
  } catch {
    return undefined;
  }
}

export type OrderActivities = ReturnType<typeof createActivities>;
