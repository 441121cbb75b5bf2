// The order workflow on a real Temporal dev server, with scripted activities for every branch, including the inventory deadline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { OrderStatusAttribute, OrderTotalAttribute, CustomerIdAttribute } from '../../platform/temporal/search-attributes.js';
import { cancelOrderUpdate, inventoryOutcomeSignal, type OrderState } from '../../workflows/contract.js';
import { createWorkflowEnvironment, orderInput, ScriptedActivities, startOrder, withWorker, workflowBundle } from '../support/workflow-harness.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createWorkflowEnvironment();
  await workflowBundle();
});

afterAll(async () => {
  await env?.teardown();
});

describe('orderWorkflow', () => {
  it('confirms the order when inventory reserves: captures once and publishes placed, paid, confirmed', async () => {
    const activities = new ScriptedActivities();
    const result = await withWorker(env, activities, async (taskQueue) => {
      const { state, handle } = await startOrder(env, taskQueue, orderInput());
      expect(state.status).toBe('CART_VERIFIED');
      expect(state.total).toBe(2500);
      await activities.published$('order.paid');
      await handle.signal(inventoryOutcomeSignal, { eventId: 'evt-1', outcome: 'RESERVED' });
      const final: OrderState = await handle.result();
      const description = await handle.describe();
      return { final, attributes: description.typedSearchAttributes };
    });
    expect(result.final).toMatchObject({ status: 'CONFIRMED', payment: { status: 'CAPTURED' }, inventory: { status: 'COMMITTED' } });
    // order.placed and the authorization start together; either may reach its activity first.
    expect(activities.calls.slice(1, 3).sort()).toEqual(['authorizePayment', 'publish:order.placed']);
    expect([activities.calls[0], ...activities.calls.slice(3)]).toEqual(['verifyCart', 'publish:order.paid', 'capturePayment', 'publish:order.confirmed']);
    expect(result.attributes.get(OrderStatusAttribute)).toBe('CONFIRMED');
    expect(result.attributes.get(OrderTotalAttribute)).toBe(2500);
    expect(result.attributes.get(CustomerIdAttribute)).toBe('cust-42');
  });

  it('publishes each event with a deterministic id made of the order id and the step', async () => {
    const activities = new ScriptedActivities();
    const input = orderInput();
    await withWorker(env, activities, async (taskQueue) => {
      const { handle } = await startOrder(env, taskQueue, input);
      await activities.published$('order.paid');
      await handle.signal(inventoryOutcomeSignal, { eventId: 'evt-1', outcome: 'RESERVED' });
      await handle.result();
    });
    expect(activities.published.map((event) => event.eventId)).toEqual([
      `${input.orderId}:order.placed`, `${input.orderId}:order.paid`, `${input.orderId}:order.confirmed`,
    ]);
  });

  it('rejects an invalid cart before any payment, answering the start update with the issues', async () => {
    const activities = new ScriptedActivities();
    activities.cart = { valid: false, issues: [{ sku: 'NOPE', reason: 'UNKNOWN_SKU' }] };
    const state = await withWorker(env, activities, async (taskQueue) => {
      const { state, handle } = await startOrder(env, taskQueue, orderInput());
      await handle.result();
      return state;
    });
    expect(state).toMatchObject({ status: 'REJECTED', reason: 'CART_INVALID', cartIssues: [{ sku: 'NOPE', reason: 'UNKNOWN_SKU' }] });
    // No payment step: only the cart check, then the rejection published for readers (the order view).
    expect(activities.calls).toEqual(['verifyCart', 'publish:order.rejected']);
  });

  it('ends PAYMENT_DECLINED without retrying a decline, and tells the customer', async () => {
    const activities = new ScriptedActivities();
    activities.declineWith = 'card declined';
    const final = await withWorker(env, activities, async (taskQueue) => (await startOrder(env, taskQueue, orderInput())).handle.result());
    expect(final).toMatchObject({ status: 'PAYMENT_DECLINED', payment: { status: 'DECLINED' } });
    expect(activities.count('authorizePayment')).toBe(1);
    expect(activities.calls).toContain('publish:order.payment-declined');
    expect(activities.calls).not.toContain('voidPayment');
  });

  it('retries transient payment failures with backoff and then goes on', async () => {
    const activities = new ScriptedActivities();
    activities.authorizeFailures = [new Error('503 from processor'), new Error('503 from processor')];
    const final = await withWorker(env, activities, async (taskQueue) => {
      const { handle } = await startOrder(env, taskQueue, orderInput());
      await activities.published$('order.paid');
      await handle.signal(inventoryOutcomeSignal, { eventId: 'evt-1', outcome: 'RESERVED' });
      return handle.result();
    });
    expect(final.status).toBe('CONFIRMED');
    expect(activities.count('authorizePayment')).toBe(3);
  });

  it('cancels with OUT_OF_STOCK and voids the payment when inventory rejects', async () => {
    const activities = new ScriptedActivities();
    const final = await withWorker(env, activities, async (taskQueue) => {
      const { handle } = await startOrder(env, taskQueue, orderInput());
      await activities.published$('order.paid');
      await handle.signal(inventoryOutcomeSignal, { eventId: 'evt-1', outcome: 'REJECTED', reason: 'OUT_OF_STOCK' });
      return handle.result();
    });
    expect(final).toMatchObject({ status: 'CANCELLED', reason: 'OUT_OF_STOCK', payment: { status: 'VOIDED' } });
    expect(activities.calls.slice(-2)).toEqual(['voidPayment', 'publish:order.cancelled']);
    expect(activities.published.at(-1)?.data).toMatchObject({ reason: 'OUT_OF_STOCK' });
    expect(activities.calls).not.toContain('capturePayment');
  });

  it('cancels with INVENTORY_TIMEOUT and voids the payment when inventory never answers before the deadline', async () => {
    const activities = new ScriptedActivities();
    const final = await withWorker(env, activities, async (taskQueue) =>
      (await startOrder(env, taskQueue, orderInput({ inventoryTimeoutMs: 1_500 }))).handle.result(),
    );
    expect(final).toMatchObject({ status: 'CANCELLED', reason: 'INVENTORY_TIMEOUT', payment: { status: 'VOIDED' }, inventory: { status: 'TIMED_OUT' } });
    expect(activities.calls).not.toContain('capturePayment');
  });

  it('lets the customer cancel while inventory has not answered; the ended order takes no further updates', async () => {
    const activities = new ScriptedActivities();
    const { cancelled, final, handle } = await withWorker(env, activities, async (taskQueue) => {
      const { handle } = await startOrder(env, taskQueue, orderInput());
      await activities.published$('order.paid');
      const cancelled = await handle.executeUpdate(cancelOrderUpdate);
      return { cancelled, final: await handle.result(), handle };
    });
    expect(cancelled).toMatchObject({ status: 'CANCELLED', reason: 'CUSTOMER_REQUEST' });
    expect(final.payment.status).toBe('VOIDED');
    // Temporal answers updates to a closed workflow as "not found"; the API maps that to 409 when the order exists.
    await expect(handle.executeUpdate(cancelOrderUpdate)).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('refuses a cancel once inventory has reserved, so confirm and cancel never both win', async () => {
    const activities = new ScriptedActivities();
    const { error, final } = await withWorker(env, activities, async (taskQueue) => {
      const { handle } = await startOrder(env, taskQueue, orderInput());
      await activities.published$('order.paid');
      await handle.signal(inventoryOutcomeSignal, { eventId: 'evt-1', outcome: 'RESERVED' });
      const error = await handle.executeUpdate(cancelOrderUpdate).catch((e: unknown) => e);
      return { error, final: await handle.result() };
    });
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(((error as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe('CannotCancel');
    expect(final.status).toBe('CONFIRMED');
  });

  it('keeps the cancel answer and the final state in agreement when cancel and outcome reach the workflow together', async () => {
    const activities = new ScriptedActivities();
    const input = orderInput();
    const handle = await withWorker(env, activities, async (taskQueue) => {
      const { handle } = await startOrder(env, taskQueue, input);
      await activities.published$('order.paid');
      return { handle, taskQueue };
    });
    // No worker now: the cancel and the outcome queue up and arrive in the same workflow task.
    const cancel = handle.handle.executeUpdate(cancelOrderUpdate).then(
      (state) => ({ accepted: true as const, state }),
      (error: unknown) => ({ accepted: false as const, error }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // let the server register the update before the signal
    await handle.handle.signal(inventoryOutcomeSignal, { eventId: 'evt-1', outcome: 'RESERVED' });
    const [answer, final] = await withWorker(env, activities, async () => Promise.all([cancel, handle.handle.result()]), handle.taskQueue);

    if (answer.accepted) {
      expect(final).toMatchObject({ status: 'CANCELLED', reason: 'CUSTOMER_REQUEST', payment: { status: 'VOIDED' } });
      expect(activities.calls).not.toContain('capturePayment');
    } else {
      expect(final).toMatchObject({ status: 'CONFIRMED', payment: { status: 'CAPTURED' } });
      expect(activities.calls).not.toContain('voidPayment');
    }
  });

  it('ignores duplicate and contradicting outcome signals after the first', async () => {
    const activities = new ScriptedActivities();
    const final = await withWorker(env, activities, async (taskQueue) => {
      const { handle } = await startOrder(env, taskQueue, orderInput());
      await activities.published$('order.paid');
      await handle.signal(inventoryOutcomeSignal, { eventId: 'evt-1', outcome: 'RESERVED' });
      await handle.signal(inventoryOutcomeSignal, { eventId: 'evt-1', outcome: 'RESERVED' });
      await handle.signal(inventoryOutcomeSignal, { eventId: 'evt-2', outcome: 'REJECTED' });
      return handle.result();
    });
    expect(final.status).toBe('CONFIRMED');
    expect(activities.count('capturePayment')).toBe(1);
    expect(activities.count('voidPayment')).toBe(0);
  });

  it('answers a second start for the same order with the same verification, running one workflow', async () => {
    const activities = new ScriptedActivities();
    const input = orderInput();
    const [first, second] = await withWorker(env, activities, async (taskQueue) => {
      const results = await Promise.all([startOrder(env, taskQueue, input), startOrder(env, taskQueue, input)]);
      await activities.published$('order.paid');
      await results[0].handle.signal(inventoryOutcomeSignal, { eventId: 'evt-1', outcome: 'RESERVED' });
      await results[0].handle.result();
      return results.map((r) => r.state);
    });
    expect(second).toEqual(first);
    expect(activities.count('verifyCart')).toBe(1);
  });
});
