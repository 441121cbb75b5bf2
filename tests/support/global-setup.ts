// Vitest global setup: starts real Temporal, RabbitMQ and PostgreSQL servers on free ports (or reuses given ones) for the run.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { TestProject } from 'vitest/node';
import { findFreePort } from '../../scripts/local-servers/ports.js';
import { startPostgres, temporaryDataParent } from '../../scripts/local-servers/postgres-server.js';
import { startRabbitNode } from '../../scripts/local-servers/rabbitmq-node.js';
import { brokerAccounts, generateBrokerCredentials, withCredentials } from '../../platform/messaging/broker-users.js';
import { DEFAULT_EVENTS_EXCHANGE } from '../../platform/messaging/wire-names.js';
import { locateTemporalCli } from '../../scripts/local-servers/temporal-cli.js';
import { startTemporalDevServer } from '../../scripts/local-servers/temporal-dev-server.js';
import { ensureSystemPackages, type SystemPackage } from '../../scripts/system-packages/installer.js';
import { installLogFile, postgresql, rabbitmq } from '../../scripts/system-packages/packages.js';
import type { Infrastructure } from './infrastructure.js';

const log = pino({ level: process.env.TEST_INFRA_LOG_LEVEL ?? 'warn', base: { component: 'test-infrastructure' } });

interface Started<T> {
  value: T;
  stop?: () => Promise<void>;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // As root, PostgreSQL runs as the postgres user, which must be able to reach its data dir inside ours.
  const workDir = await temporaryDataParent('ensemble-test-servers-');

  // A server the run is given needs nothing installed; for the others, the installer npm start and CI use.
  const needed: SystemPackage[] = [...(process.env.AMQP_URL ? [] : [rabbitmq]), ...(process.env.DATABASE_URL ? [] : [postgresql])];
  await ensureSystemPackages(needed, { logFile: installLogFile, out: process.stderr });
  const temporalCliPath = await locateTemporalCli(log);
  const results = await Promise.allSettled([temporal(temporalCliPath), rabbit(workDir), postgres(workDir)] as const);
  const stoppers = results.flatMap((result) => (result.status === 'fulfilled' && result.value.stop ? [result.value.stop] : []));
  const teardown = async () => {
    await Promise.allSettled(stoppers.map((stop) => stop()));
    await rm(workDir, { recursive: true, force: true });
  };

  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length > 0) {
    await teardown();
    throw new Error(`Test servers could not be started:\n\n${failures.map((failure) => (failure instanceof Error ? failure.message : String(failure))).join('\n\n')}`);
  }
  const [temporalServer, rabbitNode, postgresServer] = results.map((result) => (result as PromiseFulfilledResult<Started<unknown>>).value) as [
    Started<{ address: string; uiUrl: string }>,
    Started<{ url: string; managementUrl: string }>,
    Started<string>,
  ];

  const infrastructure: Infrastructure = {
    temporalAddress: temporalServer.value.address,
    temporalUiUrl: temporalServer.value.uiUrl,
    amqpUrl: rabbitNode.value.url,
    amqpManagementUrl: rabbitNode.value.managementUrl,
    postgresUrl: postgresServer.value,
    temporalCliPath,
  };
  log.info(infrastructure, 'test servers ready');
  project.provide('infrastructure', infrastructure);
  return teardown;
}

async function temporal(cliPath: string): Promise<Started<{ address: string; uiUrl: string }>> {
  const given = process.env.TEMPORAL_ADDRESS;
  if (given) {
    return { value: { address: given, uiUrl: process.env.TEMPORAL_UI_URL ?? uiUrlFor(given) } };
  }
  const server = await startTemporalDevServer({ cliPath, port: await findFreePort(), uiPort: await findFreePort(), log });
  return { value: server, stop: () => server.stop() };
}

async function rabbit(workDir: string): Promise<Started<{ url: string; managementUrl: string }>> {
  const given = process.env.AMQP_URL;
  if (given) {
    return { value: { url: given, managementUrl: process.env.AMQP_MANAGEMENT_URL ?? managementUrlFor(given) } };
  }
  // Like npm start's node, no guest: tests connect as an administrator made for this run, and make narrower users where they test them.
  const { admin } = generateBrokerCredentials('test-');
  const node = await startRabbitNode({
    dataDir: join(workDir, 'rabbitmq'),
    port: await findFreePort(),
    managementPort: await findFreePort(),
    accounts: brokerAccounts(DEFAULT_EVENTS_EXCHANGE, { admin }),
    log,
  });
  return { value: { url: node.url, managementUrl: withCredentials(node.managementUrl, node.administrator) }, stop: () => node.stop() };
}

async function postgres(workDir: string): Promise<Started<string>> {
  const given = process.env.DATABASE_URL;
  if (given) return { value: given };
  const server = await startPostgres({ dataDir: join(workDir, 'postgres'), port: await findFreePort(), log });
  return { value: server.url, stop: () => server.stop() };
}

/** The dev server's convention: the web UI listens on the gRPC port + 1000. */
function uiUrlFor(address: string): string {
  const [host = '127.0.0.1', port = '7233'] = address.split(':');
  return `http://${host}:${Number(port) + 1000}`;
}

function managementUrlFor(amqpUrl: string): string {
  const url = new URL(amqpUrl.replace(/^amqps?:/, 'http:'));
  const management = new URL(`http://${url.hostname}:15672`);
  management.username = url.username || 'guest';
  management.password = url.password || 'guest';
  return management.toString().replace(/\/$/, '');
}
