// Typed HTTP client for inventory's and notifications' work offered as calls; the pure-orchestration flow's activities wrap it.
import { z } from 'zod';
import type { EventData } from '../platform/events/catalog.js';
import { ErrorBodySchema } from '../platform/http/errors.js';
import { serviceAuthorization } from '../platform/http/service-auth.js';
import { tracedFetch } from '../platform/http/tracing.js';
import type { CustomerFacingEvent } from '../event-handlers/notifications/handlers.js';

export interface ComponentCallsClientOptions {
  inventoryUrl: string;
  notificationsUrl: string;
  /** The platform's SERVICE_TOKEN: the components' surfaces answer only to the platform. */
  serviceToken: string;
  /** @default 10_000 */
  timeoutMs?: number;
}

const shortage = z.object({ sku: z.string(), requested: z.number(), available: z.number() });
const reservationSchema = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('RESERVED'), lines: z.array(z.object({ sku: z.string(), quantity: z.number() })) }),
  z.object({ outcome: z.literal('REJECTED'), shortages: z.array(shortage) }),
  z.object({ outcome: z.literal('CANCELLED') }),
]);
export type Reservation = z.infer<typeof reservationSchema>;

/** The component answered, but refused: asking again will not change it (a 4xx other than 408/429). */
export class CallRefusedError extends Error {
  override readonly name = 'CallRefusedError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** No useful answer (5xx, 408/429, timeout, connection refused): the component may answer later. */
export class ComponentUnavailableError extends Error {
  override readonly name = 'ComponentUnavailableError';
}

export interface ComponentCallsClient {
  reserve(orderId: string, lines: { sku: string; quantity: number }[], correlationId: string): Promise<Reservation>;
  commit(orderId: string): Promise<void>;
  notify<T extends CustomerFacingEvent>(type: T, data: EventData<T>): Promise<void>;
}

export function createComponentCallsClient(options: ComponentCallsClientOptions): ComponentCallsClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const inventory = options.inventoryUrl.replace(/\/+$/, '');
  const notifications = options.notificationsUrl.replace(/\/+$/, '');

  async function post(baseUrl: string, path: string, route: string, body: unknown, correlationId?: string): Promise<unknown> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...serviceAuthorization(options.serviceToken) };
    if (correlationId !== undefined) headers['x-correlation-id'] = correlationId;
    const description = `POST ${baseUrl}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await tracedFetch('worker', route, `${baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
      text = await response.text();
    } catch (error) {
      throw new ComponentUnavailableError(`${description} got no answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok) return json;
    const problem = ErrorBodySchema.safeParse(json);
    const code = problem.success ? problem.data.error.code : `HTTP_${response.status}`;
    const message = `${description} answered ${response.status} ${code}: ${problem.success ? problem.data.error.message : text.slice(0, 200)}`;
    if (response.status >= 500 || response.status === 408 || response.status === 429) throw new ComponentUnavailableError(message);
    throw new CallRefusedError(response.status, code, message);
  }

  const orderPath = (orderId: string, rest = '') => `/orders/${encodeURIComponent(orderId)}/reservation${rest}`;
  return {
    async reserve(orderId, lines, correlationId) {
      const body = await post(inventory, orderPath(orderId), '/orders/:orderId/reservation', { lines }, correlationId);
      const parsed = reservationSchema.safeParse(body);
      if (!parsed.success) throw new ComponentUnavailableError(`inventory answered a reservation with an unexpected body: ${parsed.error.message}`);
      return parsed.data;
    },
    async commit(orderId) {
      await post(inventory, orderPath(orderId, '/commit'), '/orders/:orderId/reservation/commit', {});
    },
    async notify(type, data) {
      await post(notifications, '/notifications', '/notifications', { type, data });
    },
  };
}
