// Typed HTTP client for the payment provider; the payment activities wrap it and decide what is retryable.
import { serviceAuthorization } from '../platform/http/service-auth.js';
import { z } from 'zod';
import { ErrorBodySchema } from '../platform/http/errors.js';
import { tracedFetch } from '../platform/http/tracing.js';

export interface PaymentProviderClientOptions {
  /** The provider's base URL, e.g. config.PAYMENT_PROVIDER_URL. */
  baseUrl: string;
  /** The platform's SERVICE_TOKEN: the stand-in answers only to the platform's components. */
  serviceToken: string;
  /**
   * Per-request deadline; a request that takes longer counts as the provider being unavailable.
   * @default 10_000
   */
  timeoutMs?: number;
}

export interface AuthorizeInput {
  orderId: string;
  /** Minor units. */
  amount: number;
  currency: string;
  token: string;
  /** Same key, same request → the provider answers as the first time; never a second authorization. */
  idempotencyKey: string;
}

export interface AuthorizationOperationInput {
  authorizationId: string;
  idempotencyKey: string;
}

const authorizationSchema = z.object({
  id: z.string(),
  orderId: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  status: z.enum(['AUTHORIZED', 'CAPTURED', 'VOIDED', 'REFUNDED']),
  createdAt: z.string(),
  capturedAt: z.string().nullable(),
  voidedAt: z.string().nullable(),
  refundedAt: z.string().nullable(),
  captureCount: z.number().int(),
  voidCount: z.number().int(),
  refundCount: z.number().int(),
});

/** An authorization as the provider reports it, with how many captures/voids/refunds it actually applied. */
export type ProviderAuthorization = z.infer<typeof authorizationSchema>;

export interface PaymentProviderClient {
  authorize(input: AuthorizeInput): Promise<{ authorizationId: string }>;
  capture(input: AuthorizationOperationInput): Promise<void>;
  voidAuthorization(input: AuthorizationOperationInput): Promise<void>;
  /** Every authorization the provider holds for an order (operators and consistency checks). */
  findByOrder(orderId: string): Promise<ProviderAuthorization[]>;
}

/** Base of every failure this client reports. */
export abstract class PaymentProviderClientError extends Error {}

/** The processor declined the card (402). Retrying will not change the answer. */
export class PaymentDeclinedError extends PaymentProviderClientError {
  override readonly name = 'PaymentDeclinedError';
  constructor(
    /** The processor's reason, as its message says it. */
    readonly reason: string,
    /** The processor's decline code, e.g. `generic_decline`, when it gave one. */
    readonly declineCode?: string,
  ) {
    super(`payment declined: ${reason}`);
  }
}

/** The provider did not answer usefully (5xx, 408/429, timeout, connection refused). Retrying may succeed. */
export class PaymentProviderUnavailableError extends PaymentProviderClientError {
  override readonly name = 'PaymentProviderUnavailableError';
  constructor(
    message: string,
    /** The HTTP status when there was an answer; undefined for network failures and timeouts. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The provider refused the request for a reason other than a decline (invalid state, unknown id, key reused, validation). */
export class PaymentRejectedError extends PaymentProviderClientError {
  override readonly name = 'PaymentRejectedError';
  constructor(
    readonly status: number,
    /** The provider's error code, e.g. `invalid_state`, `not_found`, `idempotency_key_reused`. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;

export function createPaymentProviderClient(options: PaymentProviderClientOptions): PaymentProviderClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  /** Sends one request and returns the parsed JSON of a 2xx answer; every other outcome becomes a typed error. */
  async function call(
    method: 'GET' | 'POST',
    path: string,
    init: { body?: unknown; idempotencyKey?: string; /** The path without ids, naming the trace span. */ route?: string } = {},
  ): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json', ...serviceAuthorization(options.serviceToken) };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    if (init.idempotencyKey !== undefined) headers['idempotency-key'] = init.idempotencyKey;
    const description = `${method} ${path}`;

    let response: Response;
    let text: string;
    try {
      response = await tracedFetch('worker', init.route ?? path, `${baseUrl}${path}`, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Reading the body is still under the same deadline, so a stalled body is a timeout too.
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new PaymentProviderUnavailableError(
        timedOut
          ? `payment provider did not answer ${description} within ${timeoutMs}ms`
          : `payment provider unreachable for ${description}: ${describeNetworkError(error)}`,
        undefined,
        { cause: error },
      );
    }

    const json = parseJson(text);
    if (response.ok) {
      if (json === undefined) {
        throw new PaymentProviderUnavailableError(`payment provider answered ${description} with a body that is not JSON`, response.status);
      }
      return json;
    }

    const problem = ErrorBodySchema.safeParse(json);
    const code = problem.success ? problem.data.error.code : `http_${response.status}`;
    const message = problem.success ? problem.data.error.message : `HTTP ${response.status} ${response.statusText}`;
    const details = problem.success ? problem.data.error.details : undefined;

    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      throw new PaymentProviderUnavailableError(`payment provider answered ${description} with ${response.status} ${code}: ${message}`, response.status);
    }
    if (response.status === 402) {
      const declineCode = z.object({ declineCode: z.string() }).safeParse(details);
      throw new PaymentDeclinedError(message, declineCode.success ? declineCode.data.declineCode : undefined);
    }
    throw new PaymentRejectedError(response.status, code, `payment provider rejected ${description}: ${code}: ${message}`, details);
  }

  function expectShape<T>(schema: z.ZodType<T>, value: unknown, description: string): T {
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      // A 2xx with the wrong shape is most likely a proxy or version mismatch in between; report it as not usable now.
      throw new PaymentProviderUnavailableError(`payment provider answered ${description} with an unexpected body: ${parsed.error.message}`);
    }
    return parsed.data;
  }

  const operation = (action: 'capture' | 'void') => async (input: AuthorizationOperationInput) => {
    const path = `/v1/authorizations/${encodeURIComponent(input.authorizationId)}/${action}`;
    const body = await call('POST', path, { idempotencyKey: input.idempotencyKey, route: `/v1/authorizations/:id/${action}` });
    expectShape(authorizationSchema, body, `POST ${path}`);
  };

  return {
    async authorize(input) {
      const body = await call('POST', '/v1/authorizations', {
        idempotencyKey: input.idempotencyKey,
        body: { orderId: input.orderId, amount: input.amount, currency: input.currency, token: input.token },
      });
      return { authorizationId: expectShape(authorizationSchema, body, 'POST /v1/authorizations').id };
    },
    capture: operation('capture'),
    voidAuthorization: operation('void'),
    async findByOrder(orderId) {
      const path = `/v1/authorizations?orderId=${encodeURIComponent(orderId)}`;
      const body = await call('GET', path, { route: '/v1/authorizations' });
      return expectShape(z.object({ authorizations: z.array(authorizationSchema) }), body, `GET ${path}`).authorizations;
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** undici hides the useful part (ECONNREFUSED, ENOTFOUND…) in `cause`. */
function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? error.message;
}
