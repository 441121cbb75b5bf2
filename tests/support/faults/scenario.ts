// Scenario helpers for fault tests: products and orders placed through the cluster's API, recorded for the ledger.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { eventually } from '../broker.js';
import { call, orderRequest, placeOrder, type Answer, type Endpoints } from '../http.js';
import { checkLedger, type LedgerReport } from './ledger.js';

/** What a scenario runs against: the fault suite's process cluster, or the production-shaped stack (npm run start:cluster). */
export type ScenarioSystem = Endpoints & { managementUrl: string };

export class Scenario {
  readonly orderIds: string[] = [];
  readonly initialStock: Record<string, number> = {};
  private placed = 0;
  /** Orders accepted by another API than the one first asked, with the same idempotency key. */
  failedOver = 0;

  /**
   * Orders go to `apis` in turn (the cluster stack has two API instances). A retry goes to the next one, with the same
   * idempotency key, as a client behind a load balancer would: an API instance that died takes no order down with it.
   */
  constructor(
    readonly cluster: ScenarioSystem,
    private readonly apis: readonly string[] = [cluster.api],
  ) {}

  /** A product owned by inventory and visible on the orders side. */
  async product(available: number, price = 500): Promise<string> {
    const sku = `F-${randomUUID().slice(0, 8).toUpperCase()}`;
    const put = await call(`${this.cluster.api}/products/${sku}`, { method: 'PUT', body: { name: `Fault ${sku}`, price, available } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    await eventually(async () => expect((await call(`${this.cluster.api}/products/${sku}`)).body?.available).toBe(available), { timeoutMs: 30_000 });
    this.initialStock[sku] = available;
    return sku;
  }

  /**
   * Places an order; every 2xx (and 422) answer joins the ledger. Retries with the same key, on the next API, while
   * the API asked cannot take it.
   */
  async order(items: { sku: string; quantity: number }[], overrides: Record<string, unknown> = {}, key = randomUUID()): Promise<Answer> {
    const body = orderRequest(items, overrides);
    const first = this.placed++;
    let attempts = 0;
    const answer = await eventually(async () => {
      const api = this.apis[(first + attempts++) % this.apis.length]!;
      const attempt = await placeOrder({ ...this.cluster, api }, body, key).catch((error: unknown) => ({ status: 0, body: String(error) }) as Answer);
      if (attempt.status === 0 || attempt.status >= 500) throw new Error(`POST /orders on ${api} answered ${attempt.status}: ${JSON.stringify(attempt.body)}`);
      if ((attempts - 1) % this.apis.length !== 0) this.failedOver++;
      return attempt;
    }, { timeoutMs: 120_000, intervalMs: 250 });
    const orderId = (answer.status === 201 ? answer.body.orderId : answer.body?.error?.orderId) as string | undefined;
    if (orderId && !this.orderIds.includes(orderId)) this.orderIds.push(orderId);
    return answer;
  }

  /** Places many orders, a few at a time. */
  async orders(count: number, items: () => { sku: string; quantity: number }[], overrides: Record<string, unknown> = {}, concurrency = 10): Promise<Answer[]> {
    const answers: Answer[] = [];
    for (let i = 0; i < count; i += concurrency) {
      const batch = Math.min(concurrency, count - i);
      answers.push(...(await Promise.all(Array.from({ length: batch }, () => this.order(items(), overrides)))));
    }
    return answers;
  }

  async waitForStatus(orderId: string, status: string, timeoutMs = 60_000) {
    return eventually(async () => {
      const answer = await call(`${this.cluster.api}/orders/${orderId}`);
      expect(answer.body?.status).toBe(status);
      return answer.body;
    }, { timeoutMs, intervalMs: 200 });
  }

  /** Every fault test ends here: all promises checked against every order it placed. */
  ledger(options: { expectedDeadLetters?: Record<string, number>; timeoutMs?: number } = {}): Promise<LedgerReport> {
    return checkLedger({
      endpoints: this.cluster,
      managementUrl: this.cluster.managementUrl,
      orderIds: this.orderIds,
      initialStock: this.initialStock,
      ...options,
    });
  }
}
