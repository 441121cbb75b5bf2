// `orchestrated`: the same orders as `full`, as pure orchestration (inventory and notifications called by the workflow), waited on at Temporal.
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import {
  CART_VERIFIED_UPDATE_ID,
  cartVerifiedUpdate,
  ORCHESTRATED_ORDER_WORKFLOW_TYPE,
  orchestratedOrderWorkflowId,
  OrderStatus,
  type OrderInput,
  type OrderState,
} from '../../workflows/contract.js';
import { CustomerIdAttribute } from '../../platform/temporal/search-attributes.js';
import { PROBE_SKU, stockProbeProduct, type ProbeStocking } from './full.js';
import { OperationFailedError, within, type Scenario } from './scenario.js';

const OUTCOME_TIMEOUT_MS = 120_000;

export interface OrchestratedScenarioOptions extends ProbeStocking {
  /** A client with the stack's payload keys: the worker reads only what they encrypt. */
  client: Client;
  /** The product worker's task queue (TEMPORAL_TASK_QUEUE, else `orders`). */
  taskQueue: string;
  /** Seals the test card as the API would, so no payment token reaches Temporal in clear. */
  sealPaymentToken: (token: string) => string;
}

/**
 * Starts the yardstick workflow as POST /orders starts an order (update-with-start, answered once the cart is checked),
 * without the HTTP API in front: the API's own cost is measured by `full` and `http`.
 */
export async function startOrchestratedOrder(client: Client, taskQueue: string, input: OrderInput) {
  const start = new WithStartWorkflowOperation<(input: OrderInput) => Promise<OrderState>>(ORCHESTRATED_ORDER_WORKFLOW_TYPE, {
    workflowId: orchestratedOrderWorkflowId(input.orderId),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    typedSearchAttributes: [{ key: CustomerIdAttribute, value: input.customerId }],
  });
  const accepted = await client.workflow.executeUpdateWithStart(cartVerifiedUpdate, { updateId: CART_VERIFIED_UPDATE_ID, startWorkflowOperation: start });
  return { accepted, handle: await start.workflowHandle() };
}

export async function orchestratedScenario(options: OrchestratedScenarioOptions): Promise<Scenario> {
  await stockProbeProduct(options);
  let customer = 0;
  return {
    name: 'orchestrated',
    async operate() {
      const began = performance.now();
      const input: OrderInput = {
        orderId: randomUUID(),
        customerId: `bench-${customer++ % 1000}`,
        email: 'bench@example.com',
        items: [{ sku: PROBE_SKU, quantity: 1 }],
        paymentToken: options.sealPaymentToken('tok_visa'),
        shippingAddress: { name: 'Bench', line1: '1 Loop Road', city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' },
        createdAt: new Date().toISOString(),
      };
      const { handle } = await within(startOrchestratedOrder(options.client, options.taskQueue, input), OUTCOME_TIMEOUT_MS, 'the update-with-start');
      const apiMs = performance.now() - began;
      const state = await within(handle.result(), OUTCOME_TIMEOUT_MS, `order ${input.orderId}'s outcome`);
      if (state.status !== OrderStatus.CONFIRMED) throw new OperationFailedError(`order ${input.orderId} ended ${state.status}${state.reason ? ` (${state.reason})` : ''}`);
      return { apiMs, e2eMs: performance.now() - began };
    },
    close: async () => {},
  };
}
