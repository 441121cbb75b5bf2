// The environment of the compose set-up one-shots (broker-users, database-users): per-user password variables, parsed once with zod.
import { z } from 'zod';

/** RABBITMQ_ORDER_OUTCOME_PASSWORD for the broker's order-outcome user, POSTGRES_API_PASSWORD for the api's role, and so on. */
export const passwordVariable = (server: 'RABBITMQ' | 'POSTGRES', user: string) => `${server}_${user.toUpperCase().replace(/-/g, '_')}_PASSWORD`;

/** Each user's password, as .env.example asks for it. */
export const setupPassword = z.string().min(16, 'at least 16 characters; e.g. openssl rand -hex 24');

/** The command's settings from the environment (empty means unset); on a problem, names each variable and exits 2. */
export function parseSetupSettings<T extends z.ZodType>(command: string, settings: T): z.infer<T> {
  const parsed = settings.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== '')));
  if (parsed.success) return parsed.data;
  process.stderr.write(`${command}: ${parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`).join('; ')}\n`);
  process.exit(2);
}
