// Reading Temporal's wire values where the SDK offers no public decoder: timestamps, durations, search attribute payloads, gRPC codes.
import { isGrpcServiceError } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';

interface Timestamp {
  seconds?: number | { toString(): string } | null;
  nanos?: number | null;
}

/** Protobuf int64 fields arrive as numbers or as Long objects. */
const int64 = (value: Timestamp['seconds']): number => (typeof value === 'number' ? value : Number(value?.toString() ?? 0));

/** Seconds and nanos as whole milliseconds: a timestamp's since the epoch, a duration's length. */
const toMs = (value: Timestamp | null | undefined): number => int64(value?.seconds) * 1000 + Math.floor((value?.nanos ?? 0) / 1e6);

export const timestampToMs = toMs;
export const durationToMs = toMs;

export function timestampToIso(timestamp: Timestamp | null | undefined): string {
  return new Date(toMs(timestamp)).toISOString();
}

/** A search attribute's value: plain JSON, which older servers wrap in a one-element list. */
export function searchAttributeValue(payload: Payload): unknown {
  const value = defaultPayloadConverter.fromPayload<unknown>(payload);
  return Array.isArray(value) && value.length === 1 ? (value[0] as unknown) : value;
}

/** gRPC status codes (from the gRPC spec; @grpc/grpc-js is only a transitive dependency here). */
export const grpcStatus = { UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14 } as const;

/** The gRPC status of a failed call, whether the SDK threw the service error itself or wrapped it. */
export function grpcCode(error: unknown): number | undefined {
  if (isGrpcServiceError(error)) return error.code;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return isGrpcServiceError(cause) ? cause.code : undefined;
}
