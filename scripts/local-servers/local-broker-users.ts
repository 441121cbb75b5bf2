// npm start's broker users: fresh credentials on every run, one user per component, and the environment each component gets.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  BROKER_COMPONENTS, brokerAccounts, generateBrokerCredentials, withCredentials, type BrokerAccount, type BrokerComponent, type BrokerCredentials, type BrokerRole,
} from '../../platform/messaging/broker-users.js';
import { rotatedNodeUrls } from './cluster-instances.js';
import { rabbitNodeUrl } from './rabbitmq-node.js';

export interface LocalBrokerUsers {
  accounts: BrokerAccount[];
  administrator: BrokerCredentials;
  /** Where this run's credentials are written (readable by the owner only), for `npm run dlq` or a component run by hand. */
  file: string;
  /**
   * What a component's environment gets on top of the stack's: its own AMQP_URL (every node, from the instance's turn on),
   * and the operator's management URL for the API.
   */
  envFor(component: string, instanceIndex?: number): NodeJS.ProcessEnv;
}

/** Passwords live as long as the run: the node imports them at boot, so the last run's stop working. */
/** `ports`: the AMQP port of every node (one for npm start's node, three for a cluster); the management port is the first node's. */
export async function createLocalBrokerUsers(options: { exchange: string; ports: readonly number[]; managementPort: number; dataDir: string }): Promise<LocalBrokerUsers> {
  const credentials = generateBrokerCredentials();
  const nodeUrls = (role: BrokerRole) => options.ports.map((port) => rabbitNodeUrl(port, credentials[role]));
  const amqpUrl = (role: BrokerRole, instanceIndex = 0) => rotatedNodeUrls(nodeUrls(role), instanceIndex).join(',');
  const managementUrl = (role: BrokerRole) => withCredentials(`http://127.0.0.1:${options.managementPort}`, credentials[role]);
  const file = join(options.dataDir, 'rabbitmq', 'credentials.json');
  const written = Object.fromEntries(
    Object.entries(credentials).map(([role, { username, password }]) => [role, { username, password, amqpUrl: amqpUrl(role as BrokerRole), managementUrl: managementUrl(role as BrokerRole) }]),
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(written, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  const isBrokerComponent = (name: string): name is BrokerComponent => (BROKER_COMPONENTS as readonly string[]).includes(name);
  return {
    accounts: brokerAccounts(options.exchange, credentials),
    administrator: credentials.admin,
    file,
    envFor(component, instanceIndex = 0) {
      if (!isBrokerComponent(component)) return {};
      // The dead-letter tooling runs in the API as the operator, on the management API and on AMQP alike.
      return { AMQP_URL: amqpUrl(component, instanceIndex), ...(component === 'api' ? { RABBITMQ_MANAGEMENT_URL: managementUrl('operator') } : {}) };
    },
  };
}
