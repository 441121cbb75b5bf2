// The payment provider stand-in's store: authorizations and idempotency keys in schema `payments`, and the state machine over them.
import { randomBytes } from 'node:crypto';
import { errorBody } from '../platform/http/errors.js';
import type { Database, Queryable } from '../platform/store/database.js';
import type { Migration } from '../platform/store/migrations.js';

export const PAYMENTS_SCHEMA = 'payments';

export const paymentsMigrations: Migration[] = [
  {
    id: '001_authorizations',
    sql: `
      CREATE TABLE {schema}.authorizations (
        id text PRIMARY KEY,
        -- One authorization per Idempotency-Key, enforced by the database rather than by the request handler.
        idempotency_key text NOT NULL UNIQUE,
        order_id text NOT NULL,
        amount bigint NOT NULL CHECK (amount > 0),
        currency char(3) NOT NULL,
        status text NOT NULL CHECK (status IN ('AUTHORIZED', 'CAPTURED', 'VOIDED', 'REFUNDED')),
        created_at timestamptz NOT NULL DEFAULT now(),
        captured_at timestamptz,
        voided_at timestamptz,
        refunded_at timestamptz,
        -- Operations actually applied, so operators and tests can check "captured exactly once".
        capture_count integer NOT NULL DEFAULT 0,
        void_count integer NOT NULL DEFAULT 0,
        refund_count integer NOT NULL DEFAULT 0
      );
      CREATE INDEX authorizations_order_id ON {schema}.authorizations (order_id, created_at);
      CREATE TABLE {schema}.idempotency_keys (
        -- The operation the key belongs to (authorize, or capture/void/refund of one authorization).
        scope text NOT NULL,
        key text NOT NULL,
        -- Hash of the request, so the same key with another body is refused instead of replayed.
        fingerprint text NOT NULL,
        -- Requests seen with this key that did not yet produce a final answer (drives tok_flaky).
        attempts integer NOT NULL DEFAULT 0,
        status_code integer,
        -- Text rather than jsonb so a replay is byte-for-byte the first answer (jsonb reorders keys).
        response text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      );
    `,
  },
];

export type AuthorizationStatus = 'AUTHORIZED' | 'CAPTURED' | 'VOIDED' | 'REFUNDED';

/** An authorization as the provider's API shows it. */
export interface AuthorizationView {
  id: string;
  orderId: string;
  amount: number;
  currency: string;
  status: AuthorizationStatus;
  createdAt: string;
  capturedAt: string | null;
  voidedAt: string | null;
  refundedAt: string | null;
  captureCount: number;
  voidCount: number;
  refundCount: number;
}

interface AuthorizationRow {
  id: string;
  order_id: string;
  amount: number;
  currency: string;
  status: AuthorizationStatus;
  created_at: Date | string;
  captured_at: Date | string | null;
  voided_at: Date | string | null;
  refunded_at: Date | string | null;
  capture_count: number;
  void_count: number;
  refund_count: number;
}

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

function toView(row: AuthorizationRow): AuthorizationView {
  return {
    id: row.id,
    orderId: row.order_id,
    amount: Number(row.amount),
    currency: row.currency,
    status: row.status,
    createdAt: iso(row.created_at)!,
    capturedAt: iso(row.captured_at),
    voidedAt: iso(row.voided_at),
    refundedAt: iso(row.refunded_at),
    captureCount: row.capture_count,
    voidCount: row.void_count,
    refundCount: row.refund_count,
  };
}

/** An HTTP answer of the provider: status code and JSON body. */
export interface ProviderResponse {
  status: number;
  body: unknown;
}

interface Outcome extends ProviderResponse {
  /** Final answers are stored and replayed for the key; transient ones (tok_flaky's 503) let a retry run again. */
  final: boolean;
}

export interface IdempotentRequest {
  scope: string;
  key: string;
  fingerprint: string;
}

/**
 * Runs `work` at most once per (scope, key) to a final answer and replays that answer afterwards.
 * The key row is inserted and then locked inside the caller's transaction: on PostgreSQL a concurrent request
 * with the same key blocks on the insert until the first commits, then reads its stored answer.
 */
async function withIdempotencyKey(
  tx: Queryable,
  request: IdempotentRequest,
  work: (previousAttempts: number) => Promise<Outcome>,
): Promise<ProviderResponse> {
  await tx.query(
    `INSERT INTO payments.idempotency_keys (scope, key, fingerprint) VALUES ($1, $2, $3) ON CONFLICT (scope, key) DO NOTHING`,
    [request.scope, request.key, request.fingerprint],
  );
  const { rows } = await tx.query<{ fingerprint: string; attempts: number; status_code: number | null; response: string | null }>(
    `SELECT fingerprint, attempts, status_code, response FROM payments.idempotency_keys WHERE scope = $1 AND key = $2 FOR UPDATE`,
    [request.scope, request.key],
  );
  const stored = rows[0]!;
  if (stored.fingerprint !== request.fingerprint) {
    return {
      status: 409,
      body: errorBody('idempotency_key_reused', 'this Idempotency-Key was already used with a different request', {
        idempotencyKey: request.key,
      }),
    };
  }
  if (stored.status_code !== null) return { status: stored.status_code, body: JSON.parse(stored.response ?? 'null') };

  const outcome = await work(stored.attempts);
  await tx.query(
    `UPDATE payments.idempotency_keys
        SET attempts = attempts + 1, status_code = $3, response = $4
      WHERE scope = $1 AND key = $2`,
    [request.scope, request.key, outcome.final ? outcome.status : null, outcome.final ? JSON.stringify(outcome.body) : null],
  );
  return { status: outcome.status, body: outcome.body };
}

export interface AuthorizationRequest {
  orderId: string;
  amount: number;
  currency: string;
  token: string;
}

/** How many times tok_flaky answers 503 for one Idempotency-Key before it approves. */
const FLAKY_FAILURES_PER_KEY = 2;

const newAuthorizationId = () => `auth_${randomBytes(12).toString('hex')}`;

/** The card processor's decision for a test token. */
async function decide(
  tx: Queryable,
  idempotencyKey: string,
  request: AuthorizationRequest,
  previousAttempts: number,
): Promise<Outcome> {
  if (request.token === 'tok_declined') {
    return {
      status: 402,
      body: errorBody('card_declined', 'The card was declined.', { declineCode: 'generic_decline' }),
      final: true,
    };
  }
  if (request.token === 'tok_flaky' && previousAttempts < FLAKY_FAILURES_PER_KEY) {
    return {
      status: 503,
      body: errorBody('processor_unavailable', 'The card network did not answer; retry with the same Idempotency-Key.'),
      final: false,
    };
  }
  const { rows } = await tx.query<AuthorizationRow>(
    `INSERT INTO payments.authorizations (id, idempotency_key, order_id, amount, currency, status)
     VALUES ($1, $2, $3, $4, $5, 'AUTHORIZED')
     RETURNING *`,
    [newAuthorizationId(), idempotencyKey, request.orderId, request.amount, request.currency],
  );
  return { status: 201, body: toView(rows[0]!), final: true };
}

export type AuthorizationOperation = 'capture' | 'void' | 'refund';

/** For each operation: the state it starts from, the state it leads to, and the columns it stamps. */
const transitions: Record<
  AuthorizationOperation,
  { from: AuthorizationStatus; to: AuthorizationStatus; stampColumn: string; countColumn: string }
> = {
  capture: { from: 'AUTHORIZED', to: 'CAPTURED', stampColumn: 'captured_at', countColumn: 'capture_count' },
  void: { from: 'AUTHORIZED', to: 'VOIDED', stampColumn: 'voided_at', countColumn: 'void_count' },
  refund: { from: 'CAPTURED', to: 'REFUNDED', stampColumn: 'refunded_at', countColumn: 'refund_count' },
};

async function applyOperation(tx: Queryable, authorizationId: string, operation: AuthorizationOperation): Promise<Outcome> {
  const transition = transitions[operation];
  // The row lock serializes capture/void/refund of one authorization, so exactly one of two racing requests applies.
  const { rows } = await tx.query<AuthorizationRow>(`SELECT * FROM payments.authorizations WHERE id = $1 FOR UPDATE`, [
    authorizationId,
  ]);
  const current = rows[0];
  if (!current) {
    return { status: 404, body: errorBody('not_found', `no authorization ${authorizationId}`), final: true };
  }
  // Repeating an operation that already happened answers as the first time did: retries are safe without a key.
  if (current.status === transition.to) return { status: 200, body: toView(current), final: true };
  if (current.status !== transition.from) {
    return {
      status: 409,
      body: errorBody('invalid_state', `cannot ${operation} an authorization that is ${current.status}`, {
        authorizationId,
        status: current.status,
      }),
      final: true,
    };
  }
  const updated = await tx.query<AuthorizationRow>(
    `UPDATE payments.authorizations
        SET status = $2, ${transition.stampColumn} = now(), ${transition.countColumn} = ${transition.countColumn} + 1
      WHERE id = $1
      RETURNING *`,
    [authorizationId, transition.to],
  );
  return { status: 200, body: toView(updated.rows[0]!), final: true };
}

export interface PaymentsStore {
  authorize(idempotency: IdempotentRequest, request: AuthorizationRequest): Promise<ProviderResponse>;
  /** Applies capture/void/refund; with a key the answer is stored and replayed, without one the state machine alone keeps it idempotent. */
  operate(authorizationId: string, operation: AuthorizationOperation, idempotency?: IdempotentRequest): Promise<ProviderResponse>;
  get(authorizationId: string): Promise<AuthorizationView | undefined>;
  findByOrder(orderId: string): Promise<AuthorizationView[]>;
}

export function createPaymentsStore(db: Database): PaymentsStore {
  const strip = ({ status, body }: ProviderResponse): ProviderResponse => ({ status, body });
  return {
    authorize: (idempotency, request) =>
      db.transaction((tx) => withIdempotencyKey(tx, idempotency, (attempts) => decide(tx, idempotency.key, request, attempts))),

    operate: (authorizationId, operation, idempotency) =>
      db.transaction(async (tx) =>
        idempotency
          ? withIdempotencyKey(tx, idempotency, () => applyOperation(tx, authorizationId, operation))
          : strip(await applyOperation(tx, authorizationId, operation)),
      ),

    async get(authorizationId) {
      const { rows } = await db.query<AuthorizationRow>(`SELECT * FROM payments.authorizations WHERE id = $1`, [authorizationId]);
      return rows[0] && toView(rows[0]);
    },

    async findByOrder(orderId) {
      const { rows } = await db.query<AuthorizationRow>(
        `SELECT * FROM payments.authorizations WHERE order_id = $1 ORDER BY created_at, id`,
        [orderId],
      );
      return rows.map(toView);
    },
  };
}
