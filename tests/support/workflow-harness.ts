// Workflow test harness: a real Temporal dev server (TestWorkflowEnvironment.createLocal) and scripted activities for edge paths.
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { ApplicationFailure } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { OrderActivities, PublishEventInput } from '../../activities/index.js';
import { orderSearchAttributes } from '../../platform/temporal/search-attributes.js';
import { bundleOrderWorkflows } from '../../worker/workflow-bundle.js';
import { createOrderGateway } from '../../api/orders/temporal-gateway.js';
import { testClientDataConverter, testWorkerDataConverter } from './secrets.js';
import { OrderFailureType, orderWorkflowId, type CartVerification, type OrderInput } from '../../workflows/contract.js';

export async function createWorkflowEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    // The components' encryption, so the workflow is tested on the data it really gets.
    client: { dataConverter: testClientDataConverter() },
    server: {
      executable: { type: 'existing-path', path: inject('infrastructure').temporalCliPath },
      searchAttributes: [...orderSearchAttributes],
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/**
 * Bundling takes seconds; every worker in a test file shares one bundle. It has the worker's tracing interceptors and
 * failure converter (failure messages encoded), as production does.
 */
export const workflowBundle = () => (bundle ??= bundleOrderWorkflows());

export const validCart: CartVerification = {
  valid: true,
  lines: [{ sku: 'MUG-LOGO', name: 'Logo mug', quantity: 2, unitPrice: 1250, lineTotal: 2500 }],
  total: 2500,
  currency: 'USD',
};

/** Activities that stand in for the catalog, the processor and the broker, recording what the workflow asked of them. */
export class ScriptedActivities {
  cart: CartVerification = validCart;
  /** Failures to throw from authorizePayment before it succeeds (transient) or a decline (permanent). */
  authorizeFailures: Error[] = [];
  declineWith?: string;
  readonly calls: string[] = [];
  readonly published: PublishEventInput[] = [];
  private readonly publishWaiters: { type: string; resolve: () => void }[] = [];

  activities(): OrderActivities {
    return {
      verifyCart: async () => {
        this.calls.push('verifyCart');
        return this.cart;
      },
      authorizePayment: async () => {
        this.calls.push('authorizePayment');
        const failure = this.authorizeFailures.shift();
        if (failure) throw failure;
        if (this.declineWith) throw ApplicationFailure.create({ type: OrderFailureType.PaymentDeclined, message: this.declineWith, nonRetryable: true });
        return { authorizationId: 'auth_test' };
      },
      capturePayment: async () => {
        this.calls.push('capturePayment');
      },
      voidPayment: async () => {
        this.calls.push('voidPayment');
      },
      publishEvent: async (input) => {
        this.calls.push(`publish:${input.type}`);
        this.published.push(input);
        for (const waiter of this.publishWaiters.filter((w) => w.type === input.type)) waiter.resolve();
        return { type: input.type, eventId: input.eventId };
      },
    };
  }

  /** Resolves once the workflow has published an event of this type (e.g. order.paid, when inventory would react). */
  published$(type: string): Promise<void> {
    if (this.published.some((event) => event.type === type)) return Promise.resolve();
    return new Promise((resolve) => this.publishWaiters.push({ type, resolve }));
  }

  count(call: string): number {
    return this.calls.filter((c) => c === call).length;
  }
}

export function orderInput(overrides: Partial<OrderInput> = {}): OrderInput {
  return {
    orderId: randomUUID(),
    customerId: 'cust-42',
    email: 'ada@example.com',
    items: [{ sku: 'MUG-LOGO', quantity: 2 }],
    paymentToken: 'tok_visa',
    shippingAddress: { name: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
    createdAt: new Date().toISOString(),
    inventoryTimeoutMs: 60_000,
    ...overrides,
  };
}

/** Starts an order exactly as the API does (update-with-start, answered when the cart is verified). */
export async function startOrder(env: TestWorkflowEnvironment, taskQueue: string, input: OrderInput) {
  const state = await createOrderGateway(env.client, taskQueue).placeOrder(input);
  return { state, handle: env.client.workflow.getHandle(orderWorkflowId(input.orderId)) };
}

/** Runs `run` while a worker polls; pass the task queue of an earlier worker to resume the same workflows. */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  activities: ScriptedActivities,
  run: (taskQueue: string) => Promise<T>,
  taskQueue = `orders-test-${randomUUID()}`,
) {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    dataConverter: testWorkerDataConverter(),
    workflowBundle: await workflowBundle(),
    activities: activities.activities(),
  });
  return worker.runUntil(run(taskQueue));
}
