// Gathers one order's timeline: the workflow history from Temporal and each choreography participant's own journal, merged in time order.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from '../../../platform/logger.js';
import { serviceAuthorization } from '../../../platform/http/service-auth.js';
import { orderWorkflowId } from '../../../workflows/contract.js';
import type { JournalEntry as TimelineEntry } from '../../../platform/observability/journal.js';
import { grpcCode, grpcStatus } from '../../../platform/temporal/wire-values.js';
import { decodeDescription, decodeHistory } from '../../../platform/temporal/decode-history.js';
import { entriesFromHistory } from './workflow-history.js';

/** A participant that keeps its own journal and shares it at `GET <url>/journal?orderId=`. */
export interface JournalSource {
  source: string;
  url: string;
}

export interface Timeline {
  orderId: string;
  entries: TimelineEntry[];
  /** Participants whose part could not be read just now; their entries are missing, the rest is complete. */
  unavailableSources: { source: string; message: string }[];
}

export interface TimelineOptions {
  temporal: Client;
  journals: readonly JournalSource[];
  log: Logger;
  /** The participants' surfaces answer only to the service credential. */
  serviceToken: string;
  /** Each participant's answer is awaited this long at most. */
  timeoutMs: number;
}

export class OrderNotFoundError extends Error {
  override readonly name = 'OrderNotFoundError';
}

/** Every participant failed, so nothing at all can be said about the order. */
export class TimelineUnavailableError extends Error {
  override readonly name = 'TimelineUnavailableError';
}


/** describe() says WorkflowNotFoundError; fetching a history that does not exist surfaces the bare gRPC NOT_FOUND. */
const isNotFound = (error: unknown) => error instanceof WorkflowNotFoundError || grpcCode(error) === grpcStatus.NOT_FOUND;

type Part = { source: string; entries: TimelineEntry[] } | { source: string; unavailable: string } | { source: string; notFound: true };

export function createTimelineReader(options: TimelineOptions) {
  const { temporal, journals, log, timeoutMs } = options;
  const headers = serviceAuthorization(options.serviceToken);

  const orchestratorPart = async (orderId: string): Promise<Part> => {
    const handle = temporal.workflow.getHandle(orderWorkflowId(orderId));
    try {
      const [history, description] = await temporal.withDeadline(Date.now() + timeoutMs, () => Promise.all([handle.fetchHistory(), handle.describe()]));
      // Stored encrypted: steps' inputs, signals and failures read through the client's codec, as the web UI's do through /codec.
      const codecs = temporal.options.loadedDataConverter.payloadCodecs;
      await Promise.all([decodeHistory(history, codecs), decodeDescription(description.raw, codecs)]);
      return { source: 'orchestrator', entries: entriesFromHistory(history.events ?? [], description.raw.pendingActivities ?? []) };
    } catch (error) {
      if (isNotFound(error)) return { source: 'orchestrator', notFound: true };
      log.warn({ err: error, orderId }, 'could not read the workflow history for the timeline');
      return { source: 'orchestrator', unavailable: 'Temporal did not answer' };
    }
  };

  const journalPart = async ({ source, url }: JournalSource, orderId: string): Promise<Part> => {
    try {
      const response = await fetch(`${url.replace(/\/$/, '')}/journal?orderId=${encodeURIComponent(orderId)}`, { headers, signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) return { source, unavailable: `answered HTTP ${response.status}` };
      const body = (await response.json()) as { entries?: TimelineEntry[] };
      return { source, entries: body.entries ?? [] };
    } catch (error) {
      log.warn({ err: error, source, orderId }, 'could not read a journal for the timeline');
      return { source, unavailable: 'not reachable' };
    }
  };

  return async function readTimeline(orderId: string): Promise<Timeline> {
    const parts = await Promise.all([orchestratorPart(orderId), ...journals.map((journal) => journalPart(journal, orderId))]);
    const entries: TimelineEntry[] = [];
    const unavailableSources: Timeline['unavailableSources'] = [];
    for (const part of parts) {
      if ('entries' in part) entries.push(...part.entries);
      else if ('unavailable' in part) unavailableSources.push({ source: part.source, message: part.unavailable });
    }
    const [orchestrator] = parts;
    // Temporal knows every order the API accepted; without it, an order some participant has a record of still exists.
    if (orchestrator && 'notFound' in orchestrator && entries.length === 0) throw new OrderNotFoundError(`Order ${orderId} not found`);
    if (unavailableSources.length === parts.length) throw new TimelineUnavailableError('no participant of the order could be read');
    // A stable sort keeps each participant's own order for entries that share a millisecond.
    entries.sort((a, b) => a.at.localeCompare(b.at));
    return { orderId, entries, unavailableSources };
  };
}
