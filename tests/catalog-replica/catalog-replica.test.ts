// The catalog replica: follows catalog.product-updated in revision order, deduplicates, and asks for a snapshot when empty.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createEvent, type EventData } from '../../platform/events/catalog.js';
import { connectBroker } from '../../platform/messaging/broker.js';
import { createEventPublisher } from '../../platform/messaging/publisher.js';
import { startCatalogReplica } from '../../catalog-replica/index.js';
import { storeBackends } from '../support/backends.js';
import { eventually, testConfig, testLog, watchEvents } from '../support/broker.js';

const infrastructure = inject('infrastructure');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const update = (data: Partial<EventData<'catalog.product-updated'>> & { revision: number }) =>
  createEvent('catalog.product-updated', { sku: 'MUG', name: 'Mug', price: 1250, currency: 'USD', available: 5, active: true, ...data }, {
    eventId: `catalog:${data.sku ?? 'MUG'}:${data.revision}`,
    correlationId: 'test',
  });

describe.each(storeBackends())('catalog replica on $name', (backend) => {
  async function start(options: { snapshotRetryMs?: number } = {}) {
    const config = testConfig(infrastructure);
    const watcher = await watchEvents(infrastructure.amqpUrl, config.EVENTS_EXCHANGE, ['catalog.snapshot-requested']);
    const { db, release } = await backend.open('replica-test');
    const broker = await connectBroker(config.AMQP_URL, testLog, 'replica-test');
    const publisher = createEventPublisher(broker, testLog, { exchange: config.EVENTS_EXCHANGE, confirmTimeoutMs: 5_000 });
    const replica = await startCatalogReplica({ host: `test${randomUUID().slice(0, 6)}`, config, log: testLog, db, broker, publisher, ...options });
    cleanups.push(async () => {
      await replica.stop();
      await publisher.close();
      await broker.close();
      await release();
      await watcher.close();
    });
    return { replica, publisher, watcher };
  }

  it('asks inventory for a snapshot when it starts empty', async () => {
    const { watcher } = await start();
    await eventually(() => expect(watcher.ofType('catalog.snapshot-requested')).toHaveLength(1));
  });

  it('asks again while it stays empty (a request sent before inventory had its queue went nowhere), and stops once the catalog arrives', async () => {
    const { replica, publisher, watcher } = await start({ snapshotRetryMs: 200 });
    await eventually(() => expect(watcher.ofType('catalog.snapshot-requested').length).toBeGreaterThanOrEqual(3));
    await publisher.publish(update({ revision: 1 }));
    await eventually(async () => expect(await replica.store.isEmpty()).toBe(false));
    // A request already on its way when the update landed may still arrive, however slowly; after that, none: over a
    // second (five retry intervals) the count stands still. A replica still asking never stands still.
    await eventually(async () => {
      const asked = watcher.ofType('catalog.snapshot-requested').length;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(watcher.ofType('catalog.snapshot-requested')).toHaveLength(asked);
    }, { timeoutMs: 10_000 });
  });

  it('applies updates in revision order even when they arrive out of order, and ignores duplicates', async () => {
    const { replica, publisher } = await start();
    await publisher.publish(update({ revision: 3, available: 1, price: 1300 }));
    await publisher.publish(update({ revision: 2, available: 4 }));
    await publisher.publish(update({ revision: 3, available: 1, price: 1300 }));
    await publisher.publish(update({ sku: 'CAP', name: 'Cap', revision: 1, active: false }));
    await eventually(async () => expect((await replica.store.list()).map((p) => p.sku)).toEqual(['CAP', 'MUG']));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await replica.store.get('MUG')).toEqual({ sku: 'MUG', name: 'Mug', price: 1300, currency: 'USD', available: 1, active: true, revision: 3 });
    expect((await replica.store.get('CAP'))?.active).toBe(false);
  });
});
