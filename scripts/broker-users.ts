// `npm run broker-users`: creates (or updates) each component's RabbitMQ user and the operator with their permissions, and deletes guest.
import { z } from 'zod';
import { parseSetupSettings, passwordVariable as brokerPasswordVariable, setupPassword } from './setup-settings.js';
import { DEFAULT_EVENTS_EXCHANGE } from '../platform/messaging/wire-names.js';
import {
  applyBrokerAccounts, brokerAccounts, BROKER_ROLES, BrokerUsersError, ManagementApiUnreachableError, type BrokerAccount, type BrokerCredentials, type BrokerRole,
} from '../platform/messaging/broker-users.js';

/** The administrator is the broker's own (RABBITMQ_DEFAULT_USER); this command sets up everyone else. */
const rolesToApply = BROKER_ROLES.filter((role): role is Exclude<BrokerRole, 'admin'> => role !== 'admin');

const passwordVariable = (role: BrokerRole) => brokerPasswordVariable('RABBITMQ', role);

const settings = z.object({
  /** The management API with the administrator's credentials in it. */
  RABBITMQ_ADMIN_URL: z.url({ message: 'expected http://<admin>:<password>@<host>:15672' }),
  EVENTS_EXCHANGE: z.string().min(1).default(DEFAULT_EVENTS_EXCHANGE),
  ...Object.fromEntries(rolesToApply.map((role) => [passwordVariable(role), setupPassword])),
});

async function main(): Promise<void> {
  const env = parseSetupSettings('broker-users', settings) as Record<string, string>;
  // Users are named after their role, as docker-compose.yml's AMQP_URLs expect.
  const credentials = Object.fromEntries(
    rolesToApply.map((role) => [role, { username: role, password: env[passwordVariable(role)]! } satisfies BrokerCredentials]),
  );
  const accounts = brokerAccounts(env.EVENTS_EXCHANGE!, credentials);
  await applyWhenReachable(env.RABBITMQ_ADMIN_URL!, accounts);
  process.stdout.write(`broker-users: ${accounts.map((account) => account.username).join(', ')} set up on ${new URL(env.RABBITMQ_ADMIN_URL!).host}; guest removed\n`);
}

/** Compose runs this once RabbitMQ answers a ping, which can come before its management listener is up: wait a minute for it. */
async function applyWhenReachable(adminUrl: string, accounts: BrokerAccount[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await applyBrokerAccounts(adminUrl, accounts);
    } catch (error) {
      if (!(error instanceof ManagementApiUnreachableError) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`broker-users: ${error instanceof BrokerUsersError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
