// End to end in a real headless Chromium against the real stack: the web console signs in, places orders, draws their swimlanes live, and replays a dead letter.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freezeStockMovements } from '../support/databases.js';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureSystemPackages } from '../../scripts/system-packages/installer.js';
import { chromium, chromiumExecutable, installLogFile } from '../../scripts/system-packages/packages.js';
import { repositoryRoot } from '../../scripts/local-servers/temporal-cli.js';
import { consumerQueueName, deadLetterQueueName } from '../../platform/messaging/wire-names.js';
import { startTracing } from '../../platform/observability/tracing.js';
import { eventually } from '../support/broker.js';
import { call, createProduct, orderRequest, placeOrder, waitForStatus } from '../support/http.js';
import { mintTestToken } from '../support/secrets.js';
import { startStack, type Stack } from '../support/stack.js';

/** Git-ignored (.data/): each view as the test saw it, for a look after a run; docs/ holds the two the README shows. */
const screenshots = join(repositoryRoot, '.data', 'screenshots');

let stack: Stack;
let browser: Browser;
let page: Page;
/** Anything the Content-Security-Policy blocked, and any script error: either fails the test that caused it. */
let problems: string[] = [];

beforeAll(async () => {
  // The same installer the global setup uses for RabbitMQ and PostgreSQL.
  await ensureSystemPackages([chromium], { logFile: installLogFile, out: process.stderr });
  await mkdir(screenshots, { recursive: true });
  // With tracing started, timeline entries carry the trace id the order page shows.
  startTracing({ serviceName: 'ensemble-test' });
  // Five attempts close together, so a failing event reaches the dead-letter queue in about a second; the operators'
  // view lists queues through the management API, with the operator credentials it carries.
  stack = await startStack({
    env: {
      CONSUMER_MAX_ATTEMPTS: '5',
      CONSUMER_RETRY_DELAYS_MS: '100,200,300',
      // The watchdog flags an order waiting on inventory this soon; the deadline is far away, so on a loaded machine the
      // stuck and the dead-lettered orders still wait for the operator's action instead of timing out first.
      INVENTORY_SLOW_AFTER: '2s',
      INVENTORY_TIMEOUT: '5m',
      RABBITMQ_MANAGEMENT_URL: inject('infrastructure').amqpManagementUrl,
    },
  });
  browser = await playwright.launch({
    executablePath: chromiumExecutable,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.teardown();
});

async function openConsole(width = 1280): Promise<Page> {
  problems = [];
  page = await browser.newPage({ viewport: { width, height: 900 } });
  // Added by the browser itself (not by the page), so the CSP being tested does not apply to the listener.
  await page.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`));",
  });
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy|CSP violation|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  await page.goto(`${stack.api}/`);
  return page;
}

/** A component a test stopped: started again after the test whatever its end, so a failure never spills into the next. */
let stopped: Parameters<Stack['stop']>[0] | undefined;

afterEach(async () => {
  await page?.close();
  if (stopped) await stack.start(stopped);
  stopped = undefined;
  expect(problems).toEqual([]);
});

async function signIn(token: string) {
  await page.fill('#token', token);
  await page.click('button[type="submit"]');
  await page.waitForSelector('nav[aria-label="Views"]');
}

/** Places an order through the Try it form and returns its id, read from the order page it opens. */
async function placeThroughForm(sku: string, card: 'tok_visa' | 'tok_declined' | 'tok_flaky', customerId?: string): Promise<string> {
  await page.click('nav >> text=Try it');
  await page.waitForSelector(`#sku option[value="${sku}"]`, { state: 'attached' });
  await page.selectOption('#sku', sku);
  await page.check(`input[name="card"][value="${card}"]`);
  if (customerId !== undefined) await page.fill('#customerId', customerId);
  await page.click('button:has-text("Place order")');
  await page.waitForURL(/#\/orders\/[^/]+$/);
  return decodeURIComponent(new URL(page.url()).hash.replace('#/orders/', ''));
}

const marks = (source?: string) =>
  page.$$eval(`g.mark${source ? `[data-source="${source}"]` : ''}`, (elements) =>
    elements.map((element) => ({
      source: element.getAttribute('data-source')!,
      kind: element.getAttribute('data-kind')!,
      name: element.getAttribute('data-name')!,
      at: element.getAttribute('data-at')!,
      category: element.getAttribute('data-category')!,
      x: Number(element.querySelector('circle')!.getAttribute('cx')),
    })),
  );

const waitForMark = (where: string, timeout = 30_000) => page.waitForSelector(`g.mark${where}`, { state: 'attached', timeout });

/**
 * Each story waits on several live updates in a row, each with its own bound; the test's own bound must cover their
 * sum, or a loaded machine fails it on the clock while every step is still within its own.
 */
const STORY_TIMEOUT_MS = 240_000;

describe('the web console', () => {
  it('signs a customer in, places an order through the form, sees it reach CONFIRMED in the list without reloading, and draws every lane with its marks in order', async () => {
    const sku = await createProduct(stack, 20);
    const customerId = `cust-web-${Date.now().toString(36)}`;
    await openConsole();
    await page.screenshot({ path: join(screenshots, 'sign-in.png') });
    await signIn(await mintTestToken({ sub: customerId, role: 'customer' }));
    // Set once: a reload would lose it, so finding it at the end proves the list updated in place.
    await page.evaluate('window.consoleNotReloaded = true');

    await page.click('nav >> text=Try it');
    await page.waitForSelector('form.try-it');
    await page.screenshot({ path: join(screenshots, 'try-it.png') });
    const orderId = await placeThroughForm(sku, 'tok_visa');

    await page.click('nav >> text=Orders');
    await page.waitForSelector(`tr[data-order-id="${orderId}"] .status-confirmed`, { timeout: 30_000 });
    expect(await page.textContent(`tr[data-order-id="${orderId}"]`)).toContain(customerId);
    expect(await page.evaluate('window.consoleNotReloaded')).toBe(true);
    await page.screenshot({ path: join(screenshots, 'orders.png'), fullPage: true });

    await page.click(`tr[data-order-id="${orderId}"] a`);
    // Notifications record their part after the workflow completes; the page keeps reading until they are there.
    await waitForMark('[data-source="notifications"][data-name="ORDER_CONFIRMED"]');
    await waitForMark('[data-kind="workflow-completed"][data-name="CONFIRMED"]');
    // Shipping joined by choreography: the confirmed order's page gains its lane once the parcel is booked.
    await waitForMark('[data-source="shipping"][data-kind="shipment-booked"]');
    const lanes = await page.$$eval('g.lane', (elements) => elements.map((element) => element.getAttribute('data-lane')));
    expect(lanes).toEqual(['orchestrator', 'catalog-replica', 'payment', 'inventory', 'order-outcome', 'notifications', 'shipping']);

    // Within every lane, and across them, a later entry is drawn further right.
    const all = await marks();
    for (const lane of lanes) {
      const own = all.filter((mark) => mark.source === lane);
      expect(own.length, lane).toBeGreaterThan(0);
      expect(own.map((mark) => mark.x)).toEqual([...own.map((mark) => mark.x)].sort((a, b) => a - b));
    }
    const story = [
      { source: 'orchestrator', kind: 'workflow-started' },
      { source: 'catalog-replica', kind: 'step-completed', name: 'verifyCart' },
      { source: 'payment', kind: 'step-completed', name: 'authorizePayment' },
      { source: 'inventory', kind: 'event-consumed', name: 'order.paid' },
      { source: 'inventory', kind: 'event-relayed', name: 'inventory.reserved' },
      { source: 'order-outcome', kind: 'signal-sent', name: 'inventoryOutcome' },
      { source: 'orchestrator', kind: 'signal-received', name: 'inventoryOutcome' },
      { source: 'payment', kind: 'step-completed', name: 'capturePayment' },
      { source: 'orchestrator', kind: 'workflow-completed', name: 'CONFIRMED' },
    ];
    const xs = story.map((step) => {
      const mark = all.find((candidate) => Object.entries(step).every(([key, value]) => candidate[key as keyof typeof candidate] === value));
      expect(mark, JSON.stringify(step)).toBeDefined();
      return mark!.x;
    });
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    // The messages between lanes: order.paid from the orchestrator to inventory, the reservation on to the bridge.
    expect(await page.$(`line.arrow[data-event-id="${orderId}:order.paid"]`)).not.toBeNull();

    // Selecting a mark shows its detail; the page links to the workflow and names the trace.
    await page.focus('g.mark[data-source="inventory"][data-kind="event-consumed"][data-name="order.paid"]');
    expect(await page.textContent('.mark-detail')).toContain(`${orderId}:order.paid`);
    expect(await page.getAttribute('a:has-text("Temporal UI")', 'href')).toContain(`order-${orderId}`);
    expect(await page.textContent('.trace-id')).toMatch(/^[0-9a-f]{32}$/);
    await page.screenshot({ path: join(screenshots, 'order.png'), fullPage: true });
  }, STORY_TIMEOUT_MS);

  it('draws a declined order with its failed authorization, flags an order stuck on inventory, and draws it cancelled with its compensation (the void), on a narrow screen', async () => {
    const sku = await createProduct(stack, 20);
    await openConsole(400);
    await signIn(await mintTestToken({ sub: 'operator', role: 'admin' }));
    const customerId = `cust-web-${Date.now().toString(36)}`;

    const declined = await placeThroughForm(sku, 'tok_declined', customerId);
    await page.waitForSelector('[data-testid="order-status"]:has-text("PAYMENT_DECLINED")', { timeout: 30_000 });
    await waitForMark('[data-source="payment"][data-kind="step-failed"][data-name="authorizePayment"][data-category="failure"]');
    await waitForMark('[data-source="notifications"][data-name="PAYMENT_DECLINED"]');
    expect(await page.$('button:has-text("Cancel order")')).toBeNull();
    await page.screenshot({ path: join(screenshots, 'order-declined.png'), fullPage: true });
    expect((await marks()).some((mark) => mark.name === 'voidPayment'), `declined order ${declined} authorized nothing to void`).toBe(false);

    // With inventory down the order waits on its outcome, and can be cancelled from its page.
    await stack.stop('inventory');
    stopped = 'inventory';
    const cancelled = await placeThroughForm(sku, 'tok_visa', customerId);
    await page.waitForSelector('[data-testid="order-status"]:has-text("PAYMENT_AUTHORIZED")', { timeout: 30_000 });
    // Stuck on inventory: the watchdog's flag shows on the order and makes its row stand out in the list.
    await page.waitForSelector('.order-summary .flag:has-text("slow")', { timeout: 15_000 });
    await page.click('nav >> text=Orders');
    // The list reads each running order for its flag, and backs off to 10 s between polls: give a loaded machine time.
    await page.waitForSelector(`tr.slow[data-order-id="${cancelled}"] .flag`, { timeout: 60_000 });
    await page.screenshot({ path: join(screenshots, 'orders-slow.png'), fullPage: true });
    await page.click(`tr[data-order-id="${cancelled}"] a`);
    await page.click('button:has-text("Cancel order")');
    await page.waitForSelector('[data-testid="order-status"]:has-text("CANCELLED")', { timeout: 30_000 });
    expect(await page.textContent('.order-summary')).toContain('CUSTOMER_REQUEST');
    await waitForMark('[data-source="payment"][data-kind="step-completed"][data-name="voidPayment"][data-category="compensation"]');
    await waitForMark('[data-kind="event-published"][data-name="order.cancelled"][data-category="compensation"]');
    const drawn = await marks();
    const authorized = drawn.find((mark) => mark.kind === 'step-completed' && mark.name === 'authorizePayment')!;
    const voided = drawn.find((mark) => mark.kind === 'step-completed' && mark.name === 'voidPayment')!;
    expect(voided.x, `order ${cancelled}`).toBeGreaterThan(authorized.x);
    await page.screenshot({ path: join(screenshots, 'order-cancelled.png'), fullPage: true });
  }, STORY_TIMEOUT_MS);

  it("lets an operator see a dead letter's reason and replay it, after which the order is confirmed", async () => {
    const sku = await createProduct(stack, 5);
    // The fault: stock movements on this sku are frozen at the database, so every reservation attempt fails.
    const thaw = await freezeStockMovements(stack.config.DATABASE_URL!, sku);
    const { orderId } = (await placeOrder(stack, orderRequest([{ sku, quantity: 1 }]))).body;
    const queue = deadLetterQueueName(consumerQueueName(stack.config.EVENTS_EXCHANGE, 'inventory'));
    await eventually(async () => {
      const { body } = await call(`${stack.api}/admin/dead-letters/${encodeURIComponent(queue)}`);
      expect(body.messages, JSON.stringify(body)).toBeDefined();
      expect(body.messages.map((message: { messageId: string }) => message.messageId)).toContain(`${orderId}:order.paid`);
    }, { timeoutMs: 20_000, intervalMs: 200 });
    await thaw();

    await openConsole();
    await signIn(await mintTestToken({ sub: 'operator', role: 'admin' }));
    await page.click('nav >> text=Operators');
    await page.click(`tr[data-queue="${queue}"] button:has-text("Show messages")`);
    const message = `li[data-message-id="${orderId}:order.paid"]`;
    await page.waitForSelector(message);
    expect(await page.textContent(message)).toContain('stock movements are frozen');
    await page.screenshot({ path: join(screenshots, 'operators.png'), fullPage: true });

    await page.click(`${message} button:has-text("Replay")`);
    await page.waitForSelector('.notice:has-text("Replayed 1 message")');
    await waitForStatus(stack, orderId, 'CONFIRMED');

    // The order's own page shows the dead letter in its colour, then the replayed delivery handled.
    await page.goto(`${stack.api}/#/orders/${encodeURIComponent(orderId)}`);
    await waitForMark('[data-source="inventory"][data-category="dead-letter"]');
    await waitForMark('[data-kind="workflow-completed"][data-name="CONFIRMED"]');
    expect((await marks('inventory')).filter((mark) => mark.category === 'retry').length).toBeGreaterThan(0);
  }, STORY_TIMEOUT_MS);
});
