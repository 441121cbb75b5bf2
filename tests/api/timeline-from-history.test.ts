// The orchestrator's part of a timeline read from committed workflow histories: every workflow version tells the same story.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
// @temporalio/proto is CommonJS whose named exports Node's ESM loader cannot see; take them from the default export.
import proto from '@temporalio/proto';
import { entriesFromHistory } from '../../api/orders/timeline/workflow-history.js';
import { decodeHistory } from '../../platform/temporal/decode-history.js';
import { WorkflowPatch } from '../../workflows/contract.js';
import { CURRENT_HISTORIES, HISTORIES_DIR } from '../support/histories.js';
import { testClientDataConverter } from '../support/secrets.js';

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
const EventType = proto.temporal.api.enums.v1.EventType;

async function entriesOf(version: string, name: string) {
  const history = historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, version, `${name}.json`), 'utf8')));
  await decodeHistory(history, testClientDataConverter().payloadCodecs ?? []);
  return entriesFromHistory(history.events ?? []);
}

/** What the order went through, as a reader of the timeline sees it: steps done, events published, signals, the end. */
const story = (entries: Awaited<ReturnType<typeof entriesOf>>) =>
  entries
    .filter((entry) => ['step-completed', 'step-failed', 'event-published', 'signal-received', 'workflow-completed'].includes(entry.kind))
    .map((entry) => `${entry.source} ${entry.kind} ${entry.name}`);

const versions = [CURRENT_HISTORIES, 'before-lean-order-path', 'before-order-facts', 'before-payload-codec'];

describe("the orchestrator's timeline from a workflow history", () => {
  it.each(versions)('tells the story of a confirmed order the same way for %s (local short steps or regular ones)', async (version) => {
    const told = story(await entriesOf(version, 'confirmed'));
    // On the lean path order.placed and the authorization run side by side, so either may end first.
    expect(told.slice(1, 3).sort()).toEqual(['orchestrator event-published order.placed', 'payment step-completed authorizePayment']);
    expect([told[0], ...told.slice(3)]).toEqual([
      'catalog-replica step-completed verifyCart',
      'orchestrator event-published order.paid',
      'orchestrator signal-received inventoryOutcome',
      'payment step-completed capturePayment',
      'orchestrator event-published order.confirmed',
      'orchestrator workflow-completed CONFIRMED',
    ]);
  });

  it('shows a local publish as started when it was scheduled and published when it ended, with the event id', async () => {
    const entries = await entriesOf(CURRENT_HISTORIES, 'confirmed');
    const published = entries.filter((entry) => entry.kind === 'event-published');
    expect(published.map((entry) => entry.eventId?.replace(/^[^:]+:/, ''))).toEqual(['order.placed', 'order.paid', 'order.confirmed']);
    for (const entry of published) {
      const started = entries.find((candidate) => candidate.kind === 'step-started' && candidate.eventId === entry.eventId)!;
      expect(started, entry.eventId).toMatchObject({ source: 'orchestrator', name: 'publishEvent', attempt: 1 });
      expect(started.at <= entry.at).toBe(true);
    }
  });

  it.each([CURRENT_HISTORIES, 'before-lean-order-path'])('names the watchdog and the deadline timers of an order inventory never answered (%s)', async (version) => {
    const timers = (await entriesOf(version, 'cancelled-inventory-timeout')).filter((entry) => entry.kind.startsWith('timer-'));
    expect(timers.map((entry) => `${entry.kind} ${entry.name}`)).toEqual([
      'timer-started inventory-slow-after',
      'timer-fired inventory-slow-after',
      'timer-started inventory-deadline',
      'timer-fired inventory-deadline',
    ]);
  });

  it("tells a local step's retry backoff timers from inventory's, before and after the wait", () => {
    let id = 0;
    // Plain numbers where protobuf has int64: the reader takes both, as histories from JSON and from gRPC differ there.
    const event = (eventType: proto.temporal.api.enums.v1.EventType, seconds: number, attributes: Record<string, unknown>) =>
      ({ eventId: ++id, eventType, eventTime: { seconds, nanos: 0 }, ...attributes }) as unknown as HistoryEvent;
    const patch = (patchId: string) =>
      event(EventType.EVENT_TYPE_MARKER_RECORDED, 0, {
        markerRecordedEventAttributes: { markerName: 'core_patch', details: { 'patch-data': { payloads: [defaultPayloadConverter.toPayload({ id: patchId, deprecated: false })] } } },
      });
    // A workflow task that started at `seconds` on the server's clock, and in it a publish the worker scheduled 50 ms
    // later on its own clock, which ran 20 ms: core records the end as the task's start plus the run time.
    const localPublish = (type: string, seconds: number, attempt = 1) => {
      const started = event(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, seconds, {});
      const completed = event(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, seconds + 0.1, { workflowTaskCompletedEventAttributes: { startedEventId: started.eventId } });
      const data = { activity_type: 'publishEvent', attempt, complete_time: { seconds, nanos: 20e6 }, original_schedule_time: { seconds, nanos: 50e6 } };
      const marker = event(EventType.EVENT_TYPE_MARKER_RECORDED, seconds + 0.1, {
        markerRecordedEventAttributes: {
          markerName: 'core_local_activity',
          workflowTaskCompletedEventId: completed.eventId,
          details: {
            data: { payloads: [defaultPayloadConverter.toPayload(data)] },
            result: { payloads: [defaultPayloadConverter.toPayload({ type, eventId: `o1:${type}` })] },
          },
        },
      });
      return [started, completed, marker];
    };
    const timer = (timerId: string, seconds: number) => event(EventType.EVENT_TYPE_TIMER_STARTED, seconds, { timerStartedEventAttributes: { timerId, startToFireTimeout: { seconds: 60 } } });
    const activity = (name: string, seconds: number) =>
      event(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, seconds, { activityTaskScheduledEventAttributes: { activityType: { name } } });

    const entries = entriesFromHistory([
      event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 0, { workflowExecutionStartedEventAttributes: { workflowType: { name: 'orderWorkflow' } } }),
      patch(WorkflowPatch.inventoryWatchdog),
      patch(WorkflowPatch.leanOrderPath),
      timer('1', 1), // order.placed's publish waiting for its next attempt while the broker is away
      ...localPublish('order.placed', 70, 3),
      activity('authorizePayment', 71),
      ...localPublish('order.paid', 72),
      timer('2', 72),
      timer('3', 132),
      activity('capturePayment', 140),
      timer('4', 141), // order.confirmed's publish waiting in turn
      ...localPublish('order.confirmed', 200, 2),
    ]);

    expect(entries.filter((entry) => entry.kind === 'timer-started').map((entry) => entry.name)).toEqual([
      'retry-backoff', 'inventory-slow-after', 'inventory-deadline', 'retry-backoff',
    ]);
    expect(entries.find((entry) => entry.kind === 'step-retried' && entry.eventId === 'o1:order.placed')).toMatchObject({ attempt: 2, detail: { retries: 2 } });
    // On the worker's clock: scheduled at 70.050 s, published 20 ms later.
    const placed = entries.filter((entry) => entry.eventId === 'o1:order.placed');
    expect(placed.find((entry) => entry.kind === 'step-started')?.at).toBe(new Date(70_050).toISOString());
    expect(placed.find((entry) => entry.kind === 'event-published')?.at).toBe(new Date(70_070).toISOString());
  });
});
