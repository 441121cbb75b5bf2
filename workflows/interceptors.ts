// Workflow interceptors bundled with the workflow code: OpenTelemetry spans for the run, its activities, signals and updates.
// They continue the trace the client put in the start/update/signal headers and put it in each activity's headers.
// Span ids come from the sandbox's seeded randomness and spans leave through a sink that is not called on replay,
// so tracing adds no commands and replays the same (tests/replay covers it).
export { interceptors } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors.js';
