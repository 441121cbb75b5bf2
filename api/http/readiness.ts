// Liveness and readiness: /health answers while the process runs, /ready checks each dependency within a time bound and names what is down.
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { Broker } from '../../platform/messaging/broker.js';
import type { Logger } from '../../platform/logger.js';
import type { Queryable } from '../../platform/store/database.js';
import { pingTemporal } from '../orders/temporal-gateway.js';
import { NotReadyError, type ReadinessCheck } from './errors.js';
import { errorResponse, ok, openRoute, unauthenticated } from './openapi.js';

/** A probe's own account of why its dependency is not usable: safe to answer with (a client library's error is not). */
export class ReadinessProbeError extends Error {
  override readonly name = 'ReadinessProbeError';
}

/** A dependency /ready checks; `check` rejects (or times out) when the dependency is not usable. */
export interface ReadinessProbe {
  component: string;
  check: (timeoutMs: number) => Promise<unknown>;
}

/** What the API depends on to serve orders: Temporal, RabbitMQ (its catalog replica) and its own store. */
export function apiReadinessProbes(dependencies: { temporal: Client; broker: Pick<Broker, 'isConnected'>; db: Queryable }): ReadinessProbe[] {
  const { temporal, broker, db } = dependencies;
  return [
    { component: 'temporal', check: (timeoutMs) => pingTemporal(temporal, timeoutMs) },
    {
      component: 'rabbitmq',
      check: async () => {
        if (!broker.isConnected()) throw new ReadinessProbeError('not connected to RabbitMQ');
      },
    },
    { component: 'store', check: () => db.query('SELECT 1') },
  ];
}

export const HealthSchema = z.strictObject({ status: z.literal('ok') }).meta({ id: 'Health' });

export const ReadySchema = z
  .strictObject({
    status: z.literal('ready'),
    checks: z.record(z.string(), z.literal('ok')).meta({ description: 'Every dependency checked, by name' }),
  })
  .meta({ id: 'Ready' });

/** Rejects after `ms`, so one hanging dependency cannot hang the caller. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadinessProbeError(`${what} did not answer within ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The client libraries' messages name hosts, ports and server internals; the answer says only that the dependency is
 * unreachable, and the log keeps the real reason for operators.
 */
export function createHealthRouter(probes: ReadinessProbe[], timeoutMs: number, log: Logger): Router {
  const router = Router();

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/ready', async (_req, res) => {
    const checks: ReadinessCheck[] = await Promise.all(
      probes.map(async ({ component, check }) => {
        try {
          await withTimeout(check(timeoutMs), timeoutMs, component);
          return { component, ok: true };
        } catch (error) {
          if (error instanceof ReadinessProbeError) return { component, ok: false, error: error.message };
          log.warn({ err: error, component }, 'readiness check failed');
          return { component, ok: false, error: `${component} is not reachable` };
        }
      }),
    );
    if (checks.some((check) => !check.ok)) throw new NotReadyError(checks);
    res.json({ status: 'ready', checks: Object.fromEntries(checks.map((check) => [check.component, 'ok'])) });
  });

  return router;
}

export function registerHealthPaths(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness: the process is running',
    ...openRoute,
    responses: { 200: ok('Alive', HealthSchema), ...unauthenticated },
  });

  registry.registerPath({
    method: 'get',
    path: '/ready',
    operationId: 'ready',
    summary: 'Readiness: Temporal, RabbitMQ and the stores are reachable',
    ...openRoute,
    responses: {
      ...unauthenticated,
      200: ok('Every dependency answered', ReadySchema),
      503: errorResponse('NOT_READY: the message names what is down; details [{ component, ok, error? }]'),
    },
  });
}
