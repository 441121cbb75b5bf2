// The RabbitMQ management API, for the one thing AMQP cannot do: enumerate the queues.
import { BrokerUnavailableError } from './errors.js';

/** GET /api/queues on the default vhost, with basic auth taken from the URL's credentials. */
export async function managementQueueNames(managementUrl: string): Promise<string[]> {
  const base = new URL(managementUrl);
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
  base.username = '';
  base.password = '';
  const url = new URL(`${base.pathname.replace(/\/$/, '')}/api/queues/%2F?columns=name`, base);
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization }, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    throw new BrokerUnavailableError(`RabbitMQ management API at ${base.origin} is not reachable: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  if (!response.ok) throw new BrokerUnavailableError(`RabbitMQ management API answered HTTP ${response.status} for ${url.pathname}`);
  return ((await response.json()) as { name: string }[]).map((queue) => queue.name);
}
