// Measures order throughput on a running stack: a closed loop of clients placing orders and waiting for each to end.
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { DEMO_ADMIN_ID, localSigningSecret, mintDevToken } from './local-servers/dev-tokens.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    clients: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
  },
});
const api = values.url.replace(/\/$/, '');
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const sku = 'THROUGHPUT-PROBE';
const terminal = new Set(['CONFIRMED', 'REJECTED', 'PAYMENT_DECLINED', 'CANCELLED']);

interface Answer {
  status: number;
  body: { available?: number; orderId?: string; status?: string };
}

// An operator's token: the probe writes the catalog and orders for many customers, which only an admin may do.
const config = loadConfig();
const authorization = `Bearer ${await mintDevToken(
  { secret: localSigningSecret(config), JWT_ISSUER: config.JWT_ISSUER, JWT_AUDIENCE: config.JWT_AUDIENCE },
  { sub: DEMO_ADMIN_ID, role: 'admin' },
)}`;

async function json(path: string, init?: RequestInit): Promise<Answer> {
  const response = await fetch(`${api}${path}`, { ...init, headers: { 'content-type': 'application/json', authorization, ...init?.headers } });
  // The probe polls far faster than any one client should: throttled, it would measure the rate limit instead.
  if (response.status === 429) throw new Error('the API rate-limited the probe; start the stack with RATE_LIMIT_PER_MINUTE=1000000 to measure throughput');
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  // Enough stock that no order is cancelled for want of it, written to the owner and awaited on the orders side.
  await json(`/products/${sku}`, { method: 'PUT', body: JSON.stringify({ name: 'Throughput probe', price: 100, available: 1_000_000 }) });
  for (let tries = 0; (await json(`/products/${sku}`)).body.available !== 1_000_000; tries++) {
    if (tries > 100) throw new Error('the probe product did not reach the catalog replica');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const placeLatencies: number[] = [];
  const endLatencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const startedAt = Date.now();
  const measureFrom = startedAt + warmupSeconds * 1000;
  const stopAt = measureFrom + seconds * 1000;

  const client = async (index: number) => {
    for (let n = 0; Date.now() < stopAt; n++) {
      const began = performance.now();
      const placed = await json('/orders', {
        method: 'POST',
        body: JSON.stringify({
          customerId: `throughput-${index}`,
          email: 'probe@example.com',
          items: [{ sku, quantity: 1 }],
          paymentToken: 'tok_visa',
          shippingAddress: { name: 'Probe', line1: '1 Loop Road', city: 'Leeds', postalCode: 'LS1 1AA', country: 'GB' },
        }),
      });
      const placedIn = performance.now() - began;
      let status = placed.status === 201 ? 'CART_VERIFIED' : `HTTP ${placed.status}`;
      while (placed.status === 201 && placed.body.orderId !== undefined && !terminal.has(status)) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        status = (await json(`/orders/${placed.body.orderId}`)).body.status ?? status;
      }
      if (Date.now() < measureFrom || Date.now() > stopAt) continue;
      placeLatencies.push(placedIn);
      endLatencies.push(performance.now() - began);
      outcomes[status] = (outcomes[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, index) => client(index)));

  placeLatencies.sort((a, b) => a - b);
  endLatencies.sort((a, b) => a - b);
  const round = (value: number) => Math.round(value);
  console.log(
    JSON.stringify({
      clients,
      seconds,
      orders: endLatencies.length,
      ordersPerSecond: Number((endLatencies.length / seconds).toFixed(2)),
      postOrdersMs: { p50: round(percentile(placeLatencies, 50)), p95: round(percentile(placeLatencies, 95)) },
      endToEndMs: { p50: round(percentile(endLatencies, 50)), p95: round(percentile(endLatencies, 95)) },
      outcomes,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
