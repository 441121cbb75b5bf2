// Fault tests: the payment stand-in failing, answering too late after having charged, and dying mid-request; one authorization, one capture or void per order.
import { Client, Connection } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/broker.js';
import { ownerCall } from '../support/http.js';
import { startFaultCluster, type FaultCluster } from '../support/faults/cluster.js';
import { Scenario } from '../support/faults/scenario.js';

let cluster: FaultCluster;
let connection: Connection;
let temporal: Client;

beforeAll(async () => {
  cluster = await startFaultCluster();
  connection = await Connection.connect({ address: inject('infrastructure').temporalAddress });
  temporal = new Client({ connection });
});
afterEach(async () => {
  // The ledger reads the stand-in too: a fault left armed by a failed test would fail the next one for the wrong reason.
  if (cluster?.isRunning('payment-provider')) await ownerCall(`${cluster.paymentProvider}/__faults`, { method: 'DELETE' });
});
afterAll(async () => {
  await connection?.close();
  await cluster?.teardown();
});

const faults = (body?: Record<string, number>) =>
  ownerCall(`${cluster.paymentProvider}/__faults`, body === undefined ? {} : { method: 'POST', body }).then((answer) => {
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body as Record<string, number | null>;
  });

/** The attempt on which the order's authorizePayment activity completed, from its workflow history. */
async function authorizationAttempt(orderId: string): Promise<number> {
  const history = await temporal.workflow.getHandle(`order-${orderId}`).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.find((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'authorizePayment');
  expect(scheduled, `authorizePayment scheduled for ${orderId}`).toBeDefined();
  const started = events.find((event) => String(event.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled!.eventId));
  return started?.activityTaskStartedEventAttributes?.attempt ?? 0;
}

describe('payment stand-in faults', () => {
  it('answering 503 for a while: every order still completes, with one authorization and one capture each', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(20);
    // More failures than orders: most authorizations fail more than once before one gets through.
    await faults({ failNextRequests: 25, status: 503 });
    const answers = await scenario.orders(8, () => [{ sku, quantity: 1 }], {}, 8);
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(201));

    // Every injected 503 was answered to somebody, so the orders really went through the outage.
    await eventually(async () => expect((await faults()).failNextRequests).toBe(0), { timeoutMs: 120_000, intervalMs: 500 });
    const report = await scenario.ledger();
    expect(Object.values(report.statuses)).toEqual(Array(8).fill('CONFIRMED'));
    expect(report.confirmedUnits[sku]).toBe(8);
  });

  it('timing out after having charged: the retry with the same key gets the stored authorization, captured once', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(10);
    // Longer than the worker's 10 s client timeout, shorter than the activity's 30 s: the client gives up on a done charge.
    await faults({ delayAnswerMs: 12_000, delayAnswerNextRequests: 3 });
    const answers = await Promise.all([1, 2, 3].map(() => scenario.order([{ sku, quantity: 1 }])));
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201]);

    // All three charges were made and their answers are being held: the processor has the money, the worker does not know.
    await eventually(async () => expect(await faults()).toMatchObject({ heldAnswers: 3, delayAnswerNextRequests: 0 }), { timeoutMs: 30_000, intervalMs: 200 });

    const report = await scenario.ledger();
    expect(Object.values(report.statuses)).toEqual(['CONFIRMED', 'CONFIRMED', 'CONFIRMED']);
    // The authorization completed on a retry: the first attempt timed out on the client, not at the processor.
    for (const orderId of scenario.orderIds) expect(await authorizationAttempt(orderId)).toBeGreaterThanOrEqual(2);
  });

  it('killed mid-request: requests held before and after being processed both end in one authorization and one capture', async () => {
    const scenario = new Scenario(cluster);
    const sku = await scenario.product(20);
    const before = await scenario.product(20);

    // Three authorizations wait at the door (not yet processed)...
    await faults({ delayMs: 30_000, delayNextRequests: 3 });
    await Promise.all([1, 2, 3].map(() => scenario.order([{ sku: before, quantity: 1 }])));
    await eventually(async () => expect((await faults()).heldRequests).toBe(3), { timeoutMs: 15_000, intervalMs: 100 });
    // ...and three more are processed, the card charged, with their answers held.
    await faults({ delayAnswerMs: 30_000, delayAnswerNextRequests: 3 });
    await Promise.all([1, 2, 3].map(() => scenario.order([{ sku, quantity: 2 }])));
    await eventually(async () => expect((await faults()).heldAnswers).toBe(3), { timeoutMs: 15_000, intervalMs: 100 });

    await cluster.kill('payment-provider');
    // A restart forgets every fault: the faults live in the dead process, the authorizations in its store.
    await cluster.start('payment-provider');
    expect(await faults()).toMatchObject({ heldRequests: 0, heldAnswers: 0, delayMs: 0, delayAnswerMs: 0 });

    const report = await scenario.ledger();
    expect(Object.values(report.statuses)).toEqual(Array(6).fill('CONFIRMED'));
    expect(report.confirmedUnits).toEqual({ [before]: 3, [sku]: 6 });
  });
});
