// The consumer's built-in metrics: what each delivery came to, how long it took, and how far behind its queue is.
import type { ChannelWrapper } from 'amqp-connection-manager';
import {
  consumerQueueDepth, deadLetterQueueDepth, eventHandlingDuration, eventsConsumed, eventsDeadLettered, eventsRetried, inboxDuplicates,
} from '../observability/metrics.js';
import type { Settlement } from './consumer.js';
import { deadLetterQueueName } from './wire-names.js';

const counterOf = {
  handled: eventsConsumed,
  duplicate: inboxDuplicates,
  'retry-scheduled': eventsRetried,
  'dead-lettered': eventsDeadLettered,
} as const;

export function recordSettlement(settlement: Settlement): void {
  const labels = { queue: settlement.queue, type: settlement.type };
  counterOf[settlement.outcome].inc(labels);
  eventHandlingDuration.observe({ ...labels, outcome: settlement.outcome }, settlement.durationMs / 1000);
}

/** A scrape that cannot reach the broker leaves the depth out rather than waiting for a reconnect. */
const DEPTH_TIMEOUT_MS = 1_000;

/**
 * The queue's lag and its dead letters, read with a passive declare at scrape time: one round trip on the channel the
 * consumer already has, no management plugin or credentials. It counts messages ready (waiting), not those in flight,
 * which prefetch bounds anyway.
 */
export function watchQueueDepth(channel: ChannelWrapper, queue: string, connected: () => boolean): () => void {
  const depthOf = async (name: string) => {
    if (!connected()) return [];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('queue depth timed out')), DEPTH_TIMEOUT_MS);
    });
    try {
      const { messageCount } = await Promise.race([channel.checkQueue(name), timeout]);
      return [{ labels: { queue }, value: messageCount }];
    } finally {
      clearTimeout(timer);
    }
  };
  const removers = [consumerQueueDepth.add(() => depthOf(queue)), deadLetterQueueDepth.add(() => depthOf(deadLetterQueueName(queue)))];
  return () => removers.forEach((remove) => remove());
}
