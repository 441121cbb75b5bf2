// Workflow-side interceptor, bundled with the workflows: tells the worker each order's terminal status through a sink.
// A sink call is no command, so the workflow's history is unchanged, and it is not repeated when a history is replayed.
import { proxySinks, workflowInfo, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export interface OrderOutcomeSinks extends Sinks {
  orderOutcome: {
    /** The order workflow returned its state with a terminal status (and the reason, if any). */
    completed(status: string, reason?: string): void;
  };
}

const { orderOutcome } = proxySinks<OrderOutcomeSinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  inbound: [
    {
      async execute(input, next) {
        const result: unknown = await next(input);
        if (workflowInfo().workflowType === 'orderWorkflow' && typeof result === 'object' && result !== null) {
          const { status, reason } = result as { status?: unknown; reason?: unknown };
          if (typeof status === 'string') orderOutcome.completed(status, typeof reason === 'string' ? reason : undefined);
        }
        return result;
      },
    },
  ],
});
