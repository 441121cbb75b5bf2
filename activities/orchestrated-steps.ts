// The pure-orchestration flow's activities: inventory and notifications asked by call instead of told by event.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { EventData } from '../platform/events/catalog.js';
import type { CustomerFacingEvent } from '../event-handlers/notifications/handlers.js';
import type { OrderLine } from '../workflows/contract.js';
import { CallRefusedError, type ComponentCallsClient, type Reservation } from './component-calls-client.js';

/** A refusal is the component's answer, not an outage: retrying would get the same one, so the workflow decides. */
const refusedIsFinal = async <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CallRefusedError) throw ApplicationFailure.create({ type: 'ComponentCallRefused', message: error.message, nonRetryable: true });
    throw error;
  }
};

const workflowIdOrNone = () => {
  try {
    return Context.current().info.workflowExecution?.workflowId ?? 'outside-a-workflow';
  } catch {
    return 'outside-a-workflow';
  }
};

export function createOrchestratedSteps(components: ComponentCallsClient) {
  return {
    /** Every call is idempotent at the component (a repeated reservation gets the first answer), so retries are safe. */
    async reserveStock(input: { orderId: string; lines: OrderLine[] }): Promise<Reservation> {
      const lines = input.lines.map(({ sku, quantity }) => ({ sku, quantity }));
      return refusedIsFinal(() => components.reserve(input.orderId, lines, workflowIdOrNone()));
    },
    async commitStock(input: { orderId: string }): Promise<void> {
      await refusedIsFinal(() => components.commit(input.orderId));
    },
    async notifyCustomer<T extends CustomerFacingEvent>(input: { type: T; data: EventData<T> }): Promise<void> {
      await refusedIsFinal(() => components.notify(input.type, input.data));
    },
  };
}

export type OrchestratedSteps = ReturnType<typeof createOrchestratedSteps>;
