// `npm run database-users`: creates (or updates) each component's PostgreSQL role, owning its own schemas only, on the components' database.
import { z } from 'zod';
import { parseSetupSettings, passwordVariable as databasePasswordVariable, setupPassword } from './setup-settings.js';
import { applyDatabaseUsers, DATABASE_COMPONENTS, databaseRoleOf, type DatabaseComponent } from '../platform/store/database-users.js';

const passwordVariable = (component: DatabaseComponent) => databasePasswordVariable('POSTGRES', component);

const settings = z.object({
  /** The components' database, as a superuser (or its owner). */
  POSTGRES_ADMIN_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://<superuser>:<password>@<host>:5432/<database>'),
  ...Object.fromEntries(DATABASE_COMPONENTS.map((component) => [passwordVariable(component), setupPassword])),
});

async function main(): Promise<void> {
  const env = parseSetupSettings('database-users', settings) as Record<string, string>;
  // Roles are named after their component, as docker-compose.yml's DATABASE_URLs expect.
  const users = DATABASE_COMPONENTS.map((component) => ({ component, role: databaseRoleOf(component), password: env[passwordVariable(component)]! }));
  await applyDatabaseUsers(env.POSTGRES_ADMIN_URL!, users);
  process.stdout.write(`database-users: ${users.map((user) => user.role).join(', ')} set up, each owning its own schemas\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`database-users: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
