// The orchestrated half of an order's timeline: its workflow history (and retrying steps) read from Temporal, as timeline entries.
import { defaultPayloadConverter } from '@temporalio/common';
// @temporalio/proto is CommonJS whose named exports Node's ESM loader cannot see; take them from the default export.
import proto from '@temporalio/proto';
import type { JournalEntry as TimelineEntry } from '../../../platform/observability/journal.js';
import { durationToMs, searchAttributeValue, timestampToIso } from '../../../platform/temporal/wire-values.js';
import { WorkflowPatch } from '../../../workflows/contract.js';

const { temporal } = proto;
const EventType = temporal.api.enums.v1.EventType;

type HistoryEvent = proto.temporal.api.history.v1.IHistoryEvent;
type PendingActivity = proto.temporal.api.workflow.v1.IPendingActivityInfo;
type Payloads = proto.temporal.api.common.v1.IPayloads | null | undefined;

/** Who does the work of each activity: the participant the timeline shows it under. */
const activityParticipant: Record<string, string> = {
  verifyCart: 'catalog-replica',
  authorizePayment: 'payment',
  capturePayment: 'payment',
  voidPayment: 'payment',
  publishEvent: 'orchestrator',
};


function decodeFirst(payloads: Payloads): unknown {
  const first = payloads?.payloads?.[0];
  if (!first) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(first);
  } catch {
    // Encrypted or foreign payloads: the timeline shows the step without its input.
    return undefined;
  }
}

function failureMessage(failure: proto.temporal.api.failure.v1.IFailure | null | undefined): string | undefined {
  if (!failure) return undefined;
  const type = failure.applicationFailureInfo?.type;
  const message = encodedMessage(failure) ?? failure.message;
  return type ? `${type}: ${message ?? ''}` : (message ?? undefined);
}

/** With encoded common attributes the failure's own message says "Encoded failure"; the real one is in its (decoded) attributes. */
function encodedMessage(failure: proto.temporal.api.failure.v1.IFailure): string | undefined {
  if (!failure.encodedAttributes) return undefined;
  try {
    const attributes = defaultPayloadConverter.fromPayload<{ message?: unknown } | undefined>(failure.encodedAttributes);
    return typeof attributes?.message === 'string' ? attributes.message : undefined;
  } catch {
    // Still encrypted (a key this process lacks): the placeholder message is all there is.
    return undefined;
  }
}

/** The W3C trace id the OpenTelemetry interceptors carried in a header, whatever the header's name. */
export function traceIdFromHeader(header: proto.temporal.api.common.v1.IHeader | null | undefined): string | undefined {
  for (const payload of Object.values(header?.fields ?? {})) {
    try {
      const carrier = defaultPayloadConverter.fromPayload<{ traceparent?: unknown } | undefined>(payload);
      const match = typeof carrier?.traceparent === 'string' ? /^[\da-f]{2}-([\da-f]{32})-/.exec(carrier.traceparent) : null;
      if (match) return match[1];
    } catch {
      // Not a JSON header; not ours.
    }
  }
  return undefined;
}

function searchAttributeValues(event: HistoryEvent): Record<string, unknown> {
  const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
  return Object.fromEntries(
    Object.entries(fields).map(([name, payload]) => {
      try {
        return [name, searchAttributeValue(payload)];
      } catch {
        return [name, undefined];
      }
    }),
  );
}

/** The patch ids the workflow recorded (patched() markers), which tell which version of the code wrote the history. */
function patchesIn(events: readonly HistoryEvent[]): Set<string> {
  const patches = new Set<string>();
  for (const event of events) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') continue;
    const data = decodeFirst(marker.details?.['patch-data']) as { id?: unknown } | undefined;
    if (typeof data?.id === 'string') patches.add(data.id);
  }
  return patches;
}

interface ScheduledActivity {
  type: string;
  source: string;
  input: Record<string, unknown> | undefined;
  traceId: string | undefined;
}

/**
 * Turns a workflow history into timeline entries: each step scheduled, started, retried (with the failure),
 * completed or failed; updates and signals received; the inventory deadline's timer; status changes; the end.
 * Workflow tasks are left out: they are Temporal's bookkeeping, not the order's story.
 */
export function entriesFromHistory(events: readonly HistoryEvent[], pendingActivities: readonly PendingActivity[] = []): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const scheduled = new Map<string, ScheduledActivity>();
  const updates = new Map<string, string>();
  const watchdogPatched = patchesIn(events).has(WorkflowPatch.inventoryWatchdog);
  let timersSeen = 0;
  const timerNames = new Map<string, string>();
  let workflowTraceId: string | undefined;

  for (const event of events) {
    const at = timestampToIso(event.eventTime);
    const add = (entry: Omit<TimelineEntry, 'at' | 'source'> & { source?: string }) =>
      entries.push({ at, source: 'orchestrator', ...(workflowTraceId ? { traceId: workflowTraceId } : {}), ...entry });

    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: {
        const attributes = event.workflowExecutionStartedEventAttributes;
        workflowTraceId = traceIdFromHeader(attributes?.header);
        add({ kind: 'workflow-started', name: attributes?.workflowType?.name ?? 'workflow', ...(attributes?.attempt && attributes.attempt > 1 ? { attempt: attributes.attempt } : {}) });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
        const request = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
        const name = request?.input?.name ?? 'update';
        if (request?.meta?.updateId) updates.set(request.meta.updateId, name);
        add({ kind: 'update-accepted', name, detail: { updateId: request?.meta?.updateId ?? undefined } });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: {
        const attributes = event.workflowExecutionUpdateCompletedEventAttributes;
        const updateId = attributes?.meta?.updateId ?? '';
        const failure = failureMessage(attributes?.outcome?.failure);
        add({ kind: 'update-completed', name: updates.get(updateId) ?? 'update', detail: { updateId, ...(failure ? { failure } : {}) } });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const attributes = event.workflowExecutionSignaledEventAttributes;
        const input = decodeFirst(attributes?.input) as { eventId?: string; outcome?: string; reason?: string } | undefined;
        const traceId = traceIdFromHeader(attributes?.header);
        add({
          kind: 'signal-received',
          name: attributes?.signalName ?? 'signal',
          ...(input?.eventId ? { eventId: input.eventId } : {}),
          ...(traceId ? { traceId } : {}),
          detail: { ...(input?.outcome ? { outcome: input.outcome } : {}), ...(input?.reason ? { reason: input.reason } : {}), from: attributes?.identity ?? undefined },
        });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        const attributes = event.activityTaskScheduledEventAttributes;
        const type = attributes?.activityType?.name ?? 'activity';
        const input = decodeFirst(attributes?.input) as Record<string, unknown> | undefined;
        const activity: ScheduledActivity = { type, source: activityParticipant[type] ?? 'orchestrator', input, traceId: traceIdFromHeader(attributes?.header) };
        scheduled.set(String(event.eventId), activity);
        add({ source: activity.source, kind: 'step-scheduled', name: type, ...eventFacts(activity) });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const attributes = event.activityTaskStartedEventAttributes;
        const activity = scheduled.get(String(attributes?.scheduledEventId));
        if (!activity) break;
        const attempt = attributes?.attempt ?? 1;
        // The history keeps only the attempt that ended the step; the earlier ones show as one retry entry.
        if (attempt > 1) {
          add({ source: activity.source, kind: 'step-retried', name: activity.type, attempt: attempt - 1, ...eventFacts(activity), detail: { failure: failureMessage(attributes?.lastFailure) ?? 'unknown', retries: attempt - 1 } });
        }
        add({ source: activity.source, kind: 'step-started', name: activity.type, attempt, ...eventFacts(activity) });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: {
        const activity = scheduled.get(String(event.activityTaskCompletedEventAttributes?.scheduledEventId));
        if (!activity) break;
        if (activity.type === 'publishEvent' && typeof activity.input?.type === 'string') {
          add({ source: activity.source, kind: 'event-published', name: activity.input.type, ...eventFacts(activity) });
        } else {
          add({ source: activity.source, kind: 'step-completed', name: activity.type, ...eventFacts(activity) });
        }
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: {
        const attributes = event.activityTaskFailedEventAttributes;
        const activity = scheduled.get(String(attributes?.scheduledEventId));
        if (!activity) break;
        add({ source: activity.source, kind: 'step-failed', name: activity.type, ...eventFacts(activity), detail: { failure: failureMessage(attributes?.failure) ?? 'unknown' } });
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: {
        const activity = scheduled.get(String(event.activityTaskTimedOutEventAttributes?.scheduledEventId));
        if (!activity) break;
        add({ source: activity.source, kind: 'step-timed-out', name: activity.type, ...eventFacts(activity) });
        break;
      }
      case EventType.EVENT_TYPE_TIMER_STARTED: {
        const attributes = event.timerStartedEventAttributes;
        // The order workflow's timers are the inventory watchdog (where patched in) and then the inventory deadline.
        const name = watchdogPatched && timersSeen === 0 ? 'inventory-slow-after' : 'inventory-deadline';
        timersSeen++;
        timerNames.set(attributes?.timerId ?? '', name);
        add({ kind: 'timer-started', name, detail: { timeoutMs: durationToMs(attributes?.startToFireTimeout) } });
        break;
      }
      case EventType.EVENT_TYPE_TIMER_FIRED:
        add({ kind: 'timer-fired', name: timerNames.get(event.timerFiredEventAttributes?.timerId ?? '') ?? 'timer' });
        break;
      case EventType.EVENT_TYPE_TIMER_CANCELED:
        add({ kind: 'timer-cancelled', name: timerNames.get(event.timerCanceledEventAttributes?.timerId ?? '') ?? 'timer' });
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const values = searchAttributeValues(event);
        if (values.InventorySlow === true) {
          // The watchdog's flag: inventory has not answered within INVENTORY_SLOW_AFTER.
          add({ kind: 'inventory-slow', name: 'watchdog', detail: values });
          break;
        }
        const status = values.OrderStatus;
        add({ kind: 'search-attributes-changed', name: typeof status === 'string' ? status : Object.keys(values).join(', '), detail: values });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: {
        const result = decodeFirst(event.workflowExecutionCompletedEventAttributes?.result) as { status?: string; reason?: string } | undefined;
        add({ kind: 'workflow-completed', name: result?.status ?? 'completed', ...(result?.reason ? { detail: { reason: result.reason } } : {}) });
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        add({ kind: 'workflow-failed', name: 'failed', detail: { failure: failureMessage(event.workflowExecutionFailedEventAttributes?.failure) ?? 'unknown' } });
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        add({ kind: 'workflow-terminated', name: 'terminated', detail: { reason: event.workflowExecutionTerminatedEventAttributes?.reason ?? undefined } });
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        add({ kind: 'workflow-timed-out', name: 'timed out' });
        break;
      default:
        break;
    }
  }

  // A step that is retrying right now is not in the history yet; Temporal's description of the run says so.
  for (const pending of pendingActivities) {
    if ((pending.attempt ?? 1) <= 1 && !pending.lastFailure) continue;
    const type = pending.activityType?.name ?? 'activity';
    entries.push({
      at: timestampToIso(pending.lastAttemptCompleteTime ?? pending.lastStartedTime ?? pending.scheduledTime),
      source: activityParticipant[type] ?? 'orchestrator',
      kind: 'step-retrying',
      name: type,
      attempt: pending.attempt ?? 1,
      ...(workflowTraceId ? { traceId: workflowTraceId } : {}),
      detail: {
        failure: failureMessage(pending.lastFailure) ?? 'unknown',
        ...(pending.nextAttemptScheduleTime ? { nextAttemptAt: timestampToIso(pending.nextAttemptScheduleTime) } : {}),
      },
    });
  }
  return entries;
}

/** For publishEvent steps: which event (type and id) the step publishes. */
function eventFacts(activity: ScheduledActivity): Pick<TimelineEntry, 'eventId' | 'detail' | 'traceId'> {
  const facts: Pick<TimelineEntry, 'eventId' | 'detail' | 'traceId'> = activity.traceId ? { traceId: activity.traceId } : {};
  if (activity.type !== 'publishEvent' || !activity.input) return facts;
  return {
    ...facts,
    ...(typeof activity.input.eventId === 'string' ? { eventId: activity.input.eventId } : {}),
    ...(typeof activity.input.type === 'string' ? { detail: { eventType: activity.input.type } } : {}),
  };
}
