// `http`: the API answering a request that does no work (GET /health), the edge's own floor.
import { OperationFailedError, type Scenario } from './scenario.js';

export function httpScenario(apiUrl: string): Scenario {
  return {
    name: 'http',
    async operate() {
      const began = performance.now();
      const response = await fetch(`${apiUrl}/health`);
      await response.arrayBuffer();
      if (!response.ok) throw new OperationFailedError(`GET /health answered ${response.status}`);
      const ms = performance.now() - began;
      return { apiMs: ms, e2eMs: ms };
    },
    close: async () => {},
  };
}
