// The workflows the worker registers (the bundle's entry point).
export { orderWorkflow } from './order-workflow.js';
export { orchestratedOrderWorkflow } from './orchestrated-order-workflow.js';
