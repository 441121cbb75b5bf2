// The orchestrated half of an order's timeline: its workflow history (and retrying steps) read from Temporal, as timeline entries.
import { defaultPayloadConverter } from '@temporalio/common';
// @temporalio/proto is CommonJS whose named exports Node's ESM loader cannot see; take them from the default export.
import proto from '@temporalio/proto';
import type { JournalEntry as TimelineEntry } from '../../../platform/observability/journal.js';
import { durationToMs, searchAttributeValue, timestampToIso, timestampToMs } from '../../../platform/temporal/wire-values.js';
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

/** The markers the SDK records: patched() calls, and local activities (one marker holds a whole step). */
const PATCH_MARKER = 'core_patch';
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** The patch ids the workflow recorded (patched() markers), which tell which version of the code wrote the history. */
function patchesIn(events: readonly HistoryEvent[]): Set<string> {
  const patches = new Set<string>();
  for (const event of events) {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== PATCH_MARKER) continue;
    const data = decodeFirst(marker.details?.['patch-data']) as { id?: unknown } | undefined;
    if (typeof data?.id === 'string') patches.add(data.id);
  }
  return patches;
}

interface ScheduledActivity {
  type: string;
  source: string;
  /** What the step was asked: for publishEvent, the event's type and id (a local step's result says the same). */
  input: Record<string, unknown> | undefined;
  traceId: string | undefined;
}

/**
 * What the SDK's core writes about a local activity in its marker's `data` detail (plain JSON, never encoded):
 * coresdk.external_data.LocalActivityMarkerData, timestamps as RFC 3339 strings or as protobuf JSON objects.
 */
interface LocalActivityMarkerData {
  activity_type?: string;
  attempt?: number;
  complete_time?: unknown;
  original_schedule_time?: unknown;
}

/** A marker's timestamp, in milliseconds, in either of the forms core's JSON has used. */
function markerTime(value: unknown): number | undefined {
  if (typeof value === 'string') return Number.isNaN(Date.parse(value)) ? undefined : Date.parse(value);
  if (value !== null && typeof value === 'object' && 'seconds' in value) return timestampToMs(value as Parameters<typeof timestampToMs>[0]);
  return undefined;
}

/**
 * When a local step started and ended, on the wall clock. `original_schedule_time` is the worker's wall clock, but
 * `complete_time` is "perceived": the workflow task's start (the server's clock) plus the step's run time. So the run
 * time is the perceived end less the task's start, and the step ended that long after it was scheduled.
 */
function localStepTimes(data: LocalActivityMarkerData | undefined, taskStartedMs: number | undefined, recordedAt: string): { startedAt: string; endedAt: string } {
  const scheduled = markerTime(data?.original_schedule_time);
  const perceivedEnd = markerTime(data?.complete_time);
  if (scheduled === undefined) return { startedAt: recordedAt, endedAt: recordedAt };
  const runMs = perceivedEnd !== undefined && taskStartedMs !== undefined ? Math.max(0, perceivedEnd - taskStartedMs) : 0;
  return { startedAt: new Date(scheduled).toISOString(), endedAt: new Date(scheduled + runMs).toISOString() };
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
  const patches = patchesIn(events);
  const watchdogPatched = patches.has(WorkflowPatch.inventoryWatchdog);
  const timers = new InventoryTimers(watchdogPatched, patches.has(WorkflowPatch.leanOrderPath));
  const timerNames = new Map<string, string>();
  /**
   * When the latest workflow task started: the server writes a task's markers right after the event that completed
   * it, so a local step's marker belongs to the last task started before it.
   */
  let taskStartedMs: number | undefined;
  let workflowTraceId: string | undefined;

  for (const event of events) {
    const at = timestampToIso(event.eventTime);
    const add = (entry: Omit<TimelineEntry, 'at' | 'source'> & { source?: string; at?: string }) =>
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
        timers.stepScheduled();
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
          timers.published(activity.input.type);
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
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        taskStartedMs = timestampToMs(event.eventTime);
        break;
      case EventType.EVENT_TYPE_MARKER_RECORDED: {
        const marker = event.markerRecordedEventAttributes;
        if (marker?.markerName !== LOCAL_ACTIVITY_MARKER) break;
        // A local step leaves one marker when it ends: when it was first scheduled, how many attempts, and its result.
        const data = decodeFirst(marker.details?.data) as LocalActivityMarkerData | undefined;
        const type = data?.activity_type ?? 'activity';
        const result = decodeFirst(marker.details?.result) as Record<string, unknown> | undefined;
        const activity: ScheduledActivity = { type, source: activityParticipant[type] ?? 'orchestrator', input: result ?? undefined, traceId: undefined };
        const attempt = data?.attempt ?? 1;
        const { startedAt, endedAt } = localStepTimes(data, taskStartedMs, at);
        add({ at: startedAt, source: activity.source, kind: 'step-started', name: type, attempt, ...eventFacts(activity) });
        // Local steps keep no record of their failed attempts, only how many there were.
        if (attempt > 1) add({ at: endedAt, source: activity.source, kind: 'step-retried', name: type, attempt: attempt - 1, ...eventFacts(activity), detail: { retries: attempt - 1 } });
        if (marker.failure) {
          add({ at: endedAt, source: activity.source, kind: 'step-failed', name: type, ...eventFacts(activity), detail: { failure: failureMessage(marker.failure) ?? 'unknown' } });
        } else if (type === 'publishEvent' && typeof result?.type === 'string') {
          timers.published(result.type);
          add({ at: endedAt, source: activity.source, kind: 'event-published', name: result.type, ...eventFacts(activity) });
        } else {
          add({ at: endedAt, source: activity.source, kind: 'step-completed', name: type, ...eventFacts(activity) });
        }
        break;
      }
      case EventType.EVENT_TYPE_TIMER_STARTED: {
        const attributes = event.timerStartedEventAttributes;
        const name = timers.nameNext();
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

/**
 * Names the workflow's timers. With regular short steps the only timers are inventory's: the watchdog (where patched
 * in), then the deadline. A local step that keeps failing waits for its next attempt on a timer too, so with local
 * short steps inventory's timers are those started once order.paid is published and before the next step (capture or
 * void) is scheduled; any other timer is a retry's backoff.
 */
class InventoryTimers {
  private started = 0;
  private waiting = false;

  constructor(
    private readonly watchdogPatched: boolean,
    private readonly leanOrderPath: boolean,
  ) {}

  published(eventType: string) {
    if (eventType === 'order.paid') this.waiting = true;
  }

  stepScheduled() {
    this.waiting = false;
  }

  nameNext(): string {
    const inventoryTimers = this.watchdogPatched ? ['inventory-slow-after', 'inventory-deadline'] : ['inventory-deadline'];
    if (this.leanOrderPath && (!this.waiting || this.started >= inventoryTimers.length)) return 'retry-backoff';
    const name = inventoryTimers[Math.min(this.started, inventoryTimers.length - 1)]!;
    this.started += 1;
    return name;
  }
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
