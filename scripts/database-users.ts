// `npm run database-users`: creates (or updates) each component's PostgreSQL role, owning its own schemas only, on the components' database.
import { z } from 'zod';
import { applyDatabaseUsers, DATABASE_COMPONENTS, databaseRoleOf, type DatabaseComponent } from '../platform/store/database-users.js';

/** POSTGRES_ORDER_OUTCOME_PASSWORD for order-outcome, and so on. */
const passwordVariable = (component: DatabaseComponent) => `POSTGRES_${component.toUpperCase().replace(/-/g, '_')}_PASSWORD`;

const settings = z.object({
  /** The components' database, as a superuser (or its owner). */
  POSTGRES_ADMIN_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://<superuser>:<password>@<host>:5432/<database>'),
  ...Object.fromEntries(DATABASE_COMPONENTS.map((component) => [passwordVariable(component), z.string().min(16, 'at least 16 characters; e.g. openssl rand -hex 24')])),
});

async function main(): Promise<void> {
  const parsed = settings.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== '')));
  if (!parsed.success) {
    process.stderr.write(`database-users: ${parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`).join('; ')}\n`);
    process.exit(2);
  }
  const env = parsed.data as Record<string, string>;
  // Roles are named after their component, as docker-compose.yml's DATABASE_URLs expect.
  const users = DATABASE_COMPONENTS.map((component) => ({ component, role: databaseRoleOf(component), password: env[passwordVariable(component)]! }));
  await applyDatabaseUsers(env.POSTGRES_ADMIN_URL!, users);
  process.stdout.write(`database-users: ${users.map((user) => user.role).join(', ')} set up, each owning its own schemas\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`database-users: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
