// Specification of the Docker packaging: docker-compose.yml is valid Compose and runs the same components, wired the same way, as `npm start`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { configVariables, loadConfig } from '../../platform/config.js';
import { searchAttributeDefinitions } from '../../platform/temporal/search-attributes.js';
import { MetricName } from '../../platform/observability/metrics.js';
import { locateComposeCli } from '../../scripts/local-servers/compose-cli.js';
import { TEST_SECRETS } from '../support/secrets.js';
import { BROKER_COMPONENTS } from '../../platform/messaging/broker-users.js';
import { DATABASE_COMPONENTS, databaseRoleOf } from '../../platform/store/database-users.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface Healthcheck {
  test?: string | string[];
  disable?: boolean;
}

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: Healthcheck;
  container_name?: string;
  ports?: unknown[];
  volumes?: (string | { type?: string; source?: string })[];
  restart?: string;
  init?: boolean;
}

interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const composeText = read('docker-compose.yml');
// Compose resolves `<<: *anchor` merge keys; the yaml package does so only when asked.
const compose = parse(composeText, { merge: true }) as ComposeFile;
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string>; dependencies: Record<string, string> };

/** What each component reads from its configuration to reach the others (see each component's start function). */
const componentNeeds: Record<string, string[]> = {
  'payment-provider': ['HOST', 'PAYMENT_PROVIDER_PORT', 'DATABASE_URL', 'SERVICE_TOKEN'],
  inventory: ['HOST', 'INVENTORY_PORT', 'AMQP_URL', 'DATABASE_URL', 'SERVICE_TOKEN'],
  notifications: ['HOST', 'NOTIFICATIONS_PORT', 'AMQP_URL', 'DATABASE_URL', 'SERVICE_TOKEN'],
  'order-outcome': ['AMQP_URL', 'TEMPORAL_ADDRESS', 'SERVICE_TOKEN', 'PAYLOAD_KEYS'],
  'order-view': ['HOST', 'ORDER_VIEW_PORT', 'AMQP_URL', 'DATABASE_URL', 'SERVICE_TOKEN'],
  carrier: ['HOST', 'CARRIER_PORT', 'DATABASE_URL', 'SERVICE_TOKEN'],
  shipping: ['HOST', 'SHIPPING_PORT', 'AMQP_URL', 'DATABASE_URL', 'CARRIER_URL', 'SERVICE_TOKEN'],
  worker: ['AMQP_URL', 'TEMPORAL_ADDRESS', 'DATABASE_URL', 'PAYMENT_PROVIDER_URL', 'SERVICE_TOKEN', 'PAYLOAD_KEYS'],
  api: ['HOST', 'PORT', 'AMQP_URL', 'TEMPORAL_ADDRESS', 'DATABASE_URL', 'INVENTORY_URL', 'NOTIFICATIONS_URL', 'SHIPPING_URL', 'TEMPORAL_UI_URL', 'SERVICE_TOKEN', 'JWT_SECRET', 'PAYLOAD_KEYS'],
};

/** Every variable .env.example names, each given a distinct test-only value, as an operator's .env would. */
const envExampleVariables = read('.env.example').split('\n').flatMap((line) => /^([A-Z0-9_]+)=/.exec(line)?.[1] ?? []);
const testEnv: Record<string, string> = {
  ...Object.fromEntries(envExampleVariables.map((name) => [name, `test-only-${name.toLowerCase().replace(/_/g, '-')}`])),
  // The application's own secrets must also be well-formed: the components parse them (a payload key is 32 bytes).
  ...TEST_SECRETS,
};

const appServices = Object.keys(componentNeeds);
const infrastructureServices = ['postgresql', 'temporal', 'rabbitmq'];

function service(name: string): Service {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

function environmentOf(name: string): Record<string, string> {
  const environment = service(name).environment ?? {};
  const pairs = Array.isArray(environment)
    ? environment.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])
    : Object.entries(environment).map(([key, value]) => [key, value === null ? '' : String(value)]);
  return Object.fromEntries(pairs) as Record<string, string>;
}

function dependenciesOf(name: string): Record<string, string> {
  const dependsOn = service(name).depends_on ?? {};
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((target) => [target, 'service_started']));
  return Object.fromEntries(Object.entries(dependsOn).map(([target, options]) => [target, options.condition ?? 'service_started']));
}

function hasHealthcheck(name: string): boolean {
  const healthcheck = service(name).healthcheck;
  return healthcheck !== undefined && healthcheck.disable !== true && healthcheck.test !== undefined;
}

function healthcheckCommand(name: string): string {
  const test = service(name).healthcheck?.test ?? [];
  return Array.isArray(test) ? test.join(' ') : test;
}

/** The build's progress, for whoever watches the test run: building Compose takes minutes the first time. */
const progressOnStderr = {
  info: (details: object | string, message?: string) => process.stderr.write(`${typeof details === 'string' ? details : `${message ?? ''} ${JSON.stringify(details)}`}\n`),
  warn: (details: object | string, message?: string) => process.stderr.write(`WARN ${typeof details === 'string' ? details : `${message ?? ''} ${JSON.stringify(details)}`}\n`),
};


/**
 * Runs Compose v2 (the Docker CLI's plugin, or the release built into .cache/compose) on a compose file given on stdin, with the
 * given variables and no .env file (an empty --env-file), so a developer's own .env never decides the outcome.
 */
async function composeConfig(text: string, env: Record<string, string> = testEnv, format: 'quiet' | 'json' = 'quiet'): Promise<{ status: number | null; stderr: string; stdout: string }> {
  const { program, prefix } = await locateComposeCli(progressOnStderr);
  const variables = Object.fromEntries(Object.entries(process.env).filter(([name]) => !envExampleVariables.includes(name)));
  const output = format === 'quiet' ? ['--quiet'] : ['--format', 'json'];
  // `config` parses, interpolates, validates against the specification and resolves references; it needs no Docker engine.
  const result = spawnSync(program, [...prefix, '-f', '-', '--project-directory', root, '--env-file', '/dev/null', 'config', ...output], {
    cwd: root, input: text, encoding: 'utf8', env: { ...variables, ...env },
  });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

/** The file as Compose resolves it with the test .env: what each container really gets. */
let resolved: ComposeFile;
function resolvedEnvironmentOf(name: string): Record<string, string> {
  const environment = resolved.services[name]?.environment ?? {};
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

// The first run on a machine without Compose builds it (minutes, once); later runs find it in .cache/compose.
beforeAll(async () => {
  const { status, stderr, stdout } = await composeConfig(composeText, testEnv, 'json');
  if (status !== 0) throw new Error(`docker compose config failed: ${stderr}`);
  resolved = JSON.parse(stdout) as ComposeFile;
}, 30 * 60_000);

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification JSON schema', () => {
    // The official compose-spec schema (draft-07), as the dclint package ships it.
    const { $schema: _draft, ...schema } = JSON.parse(read('node_modules/dclint/schemas/compose.schema.json')) as Record<string, unknown>;
    // Unknown keywords still fail (strictSchema); strictTypes would only lint how the spec authors wrote their types.
    const ajv = new Ajv({ allErrors: true, strictSchema: true, strictTypes: false, strictTuples: false, strictRequired: false });
    const validate = ajv.compile(schema);
    const valid = validate(compose);
    expect(validate.errors ?? [], ajv.errorsText(validate.errors, { separator: '\n' })).toEqual([]);
    expect(valid).toBe(true);
  });

  // The first run on a machine without Compose builds it (minutes, once); later runs find it in .cache/compose.
  it('is accepted by `docker compose config`, which refuses a broken file', { timeout: 30 * 60_000 }, async () => {
    const accepted = await composeConfig(composeText);
    expect(accepted.stderr).toBe('');
    expect(accepted.status).toBe(0);
    // No secret is committed: without them in the environment, compose refuses and says which one to set.
    // (Only these two are left out: Compose names just one missing variable, and which one first is not fixed.)
    const { JWT_SECRET: _jwt, SERVICE_TOKEN: _service, ...withoutThem } = testEnv;
    const withoutSecrets = await composeConfig(composeText, withoutThem);
    expect(withoutSecrets.status).not.toBe(0);
    expect(withoutSecrets.stderr).toMatch(/JWT_SECRET|SERVICE_TOKEN/);
    // Proof that the Compose run validates at all: the same file with an unknown depends_on condition is refused.
    const refused = await composeConfig(composeText.replace(/condition: service_healthy/, 'condition: service_ready'));
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/depends_on\.\S+\.condition/);
  });

  it('holds no payload key: `docker compose config` refuses to run without PAYLOAD_KEYS in the environment, naming it', { timeout: 30 * 60_000 }, async () => {
    for (const name of ['api', 'worker', 'order-outcome']) expect(service(name).environment, name).toMatchObject({ PAYLOAD_KEYS: expect.stringMatching(/^\$\{PAYLOAD_KEYS:\?/) });
    // Components that never talk to Temporal do not get the keys.
    for (const name of ['payment-provider', 'inventory', 'notifications', 'carrier', 'shipping']) expect(environmentOf(name), name).not.toHaveProperty(['PAYLOAD_KEYS']);
    const { PAYLOAD_KEYS: _left, ...everyOtherSecret } = testEnv;
    const refused = await composeConfig(composeText, everyOtherSecret);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/PAYLOAD_KEYS/);
  });

  it('points the Temporal UI at the API\'s codec endpoint, sending the admin session cookie', () => {
    expect(environmentOf('temporal-ui')).toMatchObject({ TEMPORAL_CODEC_ENDPOINT: 'http://localhost:3000/codec', TEMPORAL_CODEC_INCLUDE_CREDENTIALS: 'true' });
    // The API answers browsers from the UI's origin only (CODEC_CORS_ORIGIN defaults to it).
    expect(new URL(environmentOf('api').TEMPORAL_UI_URL!).origin).toBe('http://localhost:8080');
  });

  it('runs every component from the one Dockerfile, each with an npm script package.json defines', () => {
    for (const name of appServices) {
      const { build, command, image } = service(name);
      expect(build, `${name} builds the app image`).toEqual({ context: '.', dockerfile: 'Dockerfile' });
      expect(image, `${name} must not pull an image instead of building`).toBeUndefined();
      expect(command, `${name} command`).toEqual(['npm', 'run', expect.any(String)]);
      const script = (command as string[])[2]!;
      expect(packageJson.scripts, `${name} runs "npm run ${script}"`).toHaveProperty([script]);
    }
  });

  it('has a service for every runnable component package.json names', () => {
    const componentScripts = Object.entries(packageJson.scripts)
      .filter(([, command]) => /^tsx \S+\/main\.ts$/.test(command))
      .map(([script]) => script);
    const composeScripts = appServices.map((name) => (service(name).command as string[])[2]);
    expect(composeScripts.sort()).toEqual(componentScripts.sort());
  });

  it('points every depends_on at a defined service, with a healthcheck where it waits for health', () => {
    for (const [name] of Object.entries(compose.services)) {
      for (const [target, condition] of Object.entries(dependenciesOf(name))) {
        expect(Object.keys(compose.services), `${name} depends on ${target}`).toContain(target);
        if (condition === 'service_healthy') expect(hasHealthcheck(target), `${name} waits for ${target} to be healthy`).toBe(true);
        if (condition === 'service_completed_successfully') {
          expect(service(target).restart ?? 'no', `${target} is a one-shot that ${name} waits to complete`).toBe('no');
        }
      }
    }
  });

  it('starts each component only after what it needs is healthy or set up', () => {
    const expected: Record<string, Record<string, string>> = {
      'payment-provider': { postgresql: 'service_healthy' },
      inventory: { postgresql: 'service_healthy', rabbitmq: 'service_healthy' },
      notifications: { postgresql: 'service_healthy', rabbitmq: 'service_healthy' },
      'order-outcome': { rabbitmq: 'service_healthy', 'temporal-setup': 'service_completed_successfully' },
      'order-view': { postgresql: 'service_healthy', rabbitmq: 'service_healthy' },
      carrier: { postgresql: 'service_healthy' },
      shipping: { postgresql: 'service_healthy', rabbitmq: 'service_healthy', carrier: 'service_healthy' },
      worker: {
        postgresql: 'service_healthy',
        rabbitmq: 'service_healthy',
        'temporal-setup': 'service_completed_successfully',
        'payment-provider': 'service_healthy',
      },
      api: {
        postgresql: 'service_healthy',
        rabbitmq: 'service_healthy',
        'temporal-setup': 'service_completed_successfully',
        inventory: 'service_healthy',
        notifications: 'service_healthy',
      },
    };
    for (const [name, dependencies] of Object.entries(expected)) {
      expect(dependenciesOf(name), name).toMatchObject(dependencies);
      expect(service(name).restart, `${name} restarts after a crash`).toBe('unless-stopped');
    }
  });

  it('gives the worker alone the heap limit npm start gives it (WORKER_HEAP_LIMIT_MB, 256 unless set)', () => {
    expect(resolvedEnvironmentOf('worker').NODE_OPTIONS).toBe('--max-old-space-size=256');
    for (const name of appServices.filter((service) => service !== 'worker')) expect(environmentOf(name), name).not.toHaveProperty(['NODE_OPTIONS']);
  });

  it('gives every component the configuration it needs, with values loadConfig accepts', () => {
    for (const [name, needs] of Object.entries(componentNeeds)) {
      const environment = resolvedEnvironmentOf(name);
      for (const variable of needs) expect(environment, `${name} sets ${variable}`).toHaveProperty([variable]);
      expect(() => loadConfig(environment), `${name} configuration`).not.toThrow();
    }
  });

  it('sets only environment variables that platform/config.ts reads, and Node.js\'s own NODE_OPTIONS', () => {
    const known = new Set<string>([...configVariables, 'NODE_OPTIONS']);
    for (const name of appServices) {
      const unknown = Object.keys(environmentOf(name)).filter((variable) => !known.has(variable));
      expect(unknown, `${name} sets variables no component reads`).toEqual([]);
    }
  });

  it('wires the components to the infrastructure services and to each other by service name', () => {
    for (const name of appServices) {
      const environment = resolvedEnvironmentOf(name);
      if (environment.AMQP_URL) {
        const amqp = new URL(environment.AMQP_URL);
        expect(amqp.hostname, `${name} AMQP host`).toBe('rabbitmq');
      }
      if (environment.DATABASE_URL) {
        const database = new URL(environment.DATABASE_URL);
        expect(database.hostname, `${name} database host`).toBe('postgresql');
        expect(database.pathname, `${name} database`).toBe('/ensemble');
      }
      if (environment.TEMPORAL_ADDRESS) expect(environment.TEMPORAL_ADDRESS, `${name} Temporal address`).toBe('temporal:7233');
      const services: [string, string, string][] = [
        ['PAYMENT_PROVIDER_URL', 'payment-provider', 'PAYMENT_PROVIDER_PORT'],
        ['INVENTORY_URL', 'inventory', 'INVENTORY_PORT'],
        ['NOTIFICATIONS_URL', 'notifications', 'NOTIFICATIONS_PORT'],
        ['ORDER_VIEW_URL', 'order-view', 'ORDER_VIEW_PORT'],
        ['CARRIER_URL', 'carrier', 'CARRIER_PORT'],
        ['SHIPPING_URL', 'shipping', 'SHIPPING_PORT'],
      ];
      for (const [urlVariable, target, portVariable] of services) {
        if (!environment[urlVariable]) continue;
        const url = new URL(environment[urlVariable]);
        expect(url.hostname, `${name} ${urlVariable}`).toBe(target);
        expect(url.port, `${name} ${urlVariable} port`).toBe(environmentOf(target)[portVariable]);
      }
    }
  });

  it('starts only with every password given: no defaults, and the missing variable is named', async () => {
    const { RABBITMQ_INVENTORY_PASSWORD: _left, ...withoutOne } = testEnv;
    const refused = await composeConfig(composeText, withoutOne);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('RABBITMQ_INVENTORY_PASSWORD');
  });

  it('has no guest user and no password written in the file: every secret comes from .env', () => {
    // As Compose runs it (comments may still say why guest is gone).
    expect(JSON.stringify(resolved)).not.toMatch(/guest/i);
    const secretVariable = /(PASSWORD|_PASS|_PWD)$/;
    for (const name of Object.keys(compose.services)) {
      for (const [variable, value] of Object.entries(environmentOf(name))) {
        if (secretVariable.test(variable)) expect(value, `${name} ${variable}`).toMatch(/^\$\{[A-Z0-9_]+(:\?[^}]*)?\}$/);
        // A URL with credentials in it: its password is a variable too.
        const userinfo = /^[a-z]+:\/\/(?:\$\{[^}]*\}|[^:/@$]+):(.*)@[^@]+$/.exec(value);
        if (userinfo) expect(userinfo[1], `${name} ${variable} password`).toMatch(/^\$\{[A-Z0-9_]+(:\?[^}]*)?\}$/);
      }
    }
    // .env.example names the variables and holds no value but the admin's user name.
    for (const line of read('.env.example').split('\n').filter((entry) => /^[A-Z0-9_]+=/.test(entry))) expect(line).toMatch(/^([A-Z0-9_]+=|RABBITMQ_ADMIN_USER=admin)$/);
  });

  it('gives every component its own RabbitMQ user and PostgreSQL role, as the setup one-shots create them', () => {
    const brokerSetup = resolvedEnvironmentOf('broker-users');
    const databaseSetup = resolvedEnvironmentOf('database-users');
    const variableFor = (prefix: string, component: string) => `${prefix}_${component.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
    const brokerUsers = new Set<string>();
    const databaseRoles = new Set<string>();
    for (const name of appServices) {
      const environment = resolvedEnvironmentOf(name);
      if ((BROKER_COMPONENTS as readonly string[]).includes(name)) {
        const amqp = new URL(environment.AMQP_URL!);
        expect(amqp.username, `${name} AMQP user`).toBe(name);
        expect(decodeURIComponent(amqp.password), `${name} AMQP password`).toBe(brokerSetup[variableFor('RABBITMQ', name)]);
        brokerUsers.add(amqp.username);
      } else {
        expect(environment.AMQP_URL, `${name} needs no broker`).toBeUndefined();
      }
      const database = new URL(environment.DATABASE_URL!);
      expect(database.username, `${name} database role`).toBe(databaseRoleOf(name as (typeof DATABASE_COMPONENTS)[number]));
      expect(decodeURIComponent(database.password), `${name} database password`).toBe(databaseSetup[variableFor('POSTGRES', name)]);
      databaseRoles.add(database.username);
      for (const setup of ['broker-users', 'database-users']) {
        if (setup === 'broker-users' && !environment.AMQP_URL) continue;
        expect(dependenciesOf(name)[setup], `${name} waits for ${setup}`).toBe('service_completed_successfully');
      }
    }
    expect([...brokerUsers].sort()).toEqual([...BROKER_COMPONENTS].sort());
    expect([...databaseRoles].sort()).toEqual(DATABASE_COMPONENTS.map((component) => databaseRoleOf(component)).sort());
    // The API's dead-letter tooling runs as the operator; the setup runs as the administrator the broker is created with.
    expect(new URL(resolvedEnvironmentOf('api').RABBITMQ_MANAGEMENT_URL!).username).toBe('operator');
    const admin = new URL(brokerSetup.RABBITMQ_ADMIN_URL!);
    expect([admin.username, admin.password]).toEqual([resolvedEnvironmentOf('rabbitmq').RABBITMQ_DEFAULT_USER, resolvedEnvironmentOf('rabbitmq').RABBITMQ_DEFAULT_PASS]);
    expect(decodeURIComponent(new URL(databaseSetup.POSTGRES_ADMIN_URL!).password)).toBe(resolvedEnvironmentOf('postgresql').POSTGRES_PASSWORD);
    expect(resolvedEnvironmentOf('temporal').POSTGRES_PWD).toBe(resolvedEnvironmentOf('postgresql').POSTGRES_TEMPORAL_PASSWORD);
  });

  it('health-checks every HTTP component on the port it listens on, without curl (slim image)', () => {
    const ports: Record<string, string> = {
      'payment-provider': environmentOf('payment-provider').PAYMENT_PROVIDER_PORT!,
      inventory: environmentOf('inventory').INVENTORY_PORT!,
      notifications: environmentOf('notifications').NOTIFICATIONS_PORT!,
      'order-view': environmentOf('order-view').ORDER_VIEW_PORT!,
      carrier: environmentOf('carrier').CARRIER_PORT!,
      shipping: environmentOf('shipping').SHIPPING_PORT!,
      api: environmentOf('api').PORT!,
    };
    for (const [name, port] of Object.entries(ports)) {
      expect(healthcheckCommand(name), `${name} healthcheck`).toMatch(new RegExp(`^CMD node -e .*fetch\\('http://127\\.0\\.0\\.1:${port}/health'\\)`));
    }
  });

  it('health-checks the infrastructure services', () => {
    for (const name of infrastructureServices) expect(hasHealthcheck(name), `${name} has a healthcheck`).toBe(true);
    expect(healthcheckCommand('postgresql')).toContain('pg_isready');
    expect(healthcheckCommand('rabbitmq')).toBe('CMD rabbitmq-diagnostics -q ping');
  });

  it('keeps PostgreSQL and RabbitMQ data in named volumes', () => {
    for (const [name, path] of [['postgresql', '/var/lib/postgresql/data'], ['rabbitmq', '/var/lib/rabbitmq']] as const) {
      const mount = (service(name).volumes ?? []).find((volume) => typeof volume === 'string' && volume.endsWith(`:${path}`)) as string | undefined;
      expect(mount, `${name} mounts ${path}`).toBeDefined();
      const volumeName = mount!.slice(0, mount!.indexOf(':'));
      expect(Object.keys(compose.volumes ?? {}), `${name} volume is declared`).toContain(volumeName);
    }
  });

  it('mounts only files and folders that exist in the repository', () => {
    for (const [name, { volumes }] of Object.entries(compose.services)) {
      for (const volume of volumes ?? []) {
        const source = typeof volume === 'string' ? volume.slice(0, volume.indexOf(':')) : volume.source;
        if (source?.startsWith('./')) expect(existsSync(join(root, source)), `${name} mounts ${source}`).toBe(true);
      }
    }
  });

  it('registers the namespace and every search attribute the order workflow sets', () => {
    const setup = service('temporal-setup');
    expect(setup.image).toMatch(/^temporalio\/admin-tools:/);
    expect(setup.command).toEqual(['/scripts/setup-namespace.sh']);
    expect(environmentOf('temporal-setup').TEMPORAL_NAMESPACE).toBe(loadConfig(resolvedEnvironmentOf('worker')).TEMPORAL_NAMESPACE);
    const script = read('docker/temporal/setup-namespace.sh');
    for (const { name, type } of searchAttributeDefinitions) expect(script).toContain(`ensure_search_attribute ${name} ${type}`);
  });

  it('sends every component\'s traces to the Jaeger service over OTLP/HTTP, with its UI published', () => {
    const jaeger = service('jaeger');
    expect(jaeger.image).toMatch(/^jaegertracing\/(jaeger|all-in-one):/);
    expect(jaeger.ports).toContain('16686:16686');
    for (const name of appServices) {
      const endpoint = new URL(environmentOf(name).OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://unset');
      expect([endpoint.hostname, endpoint.port], `${name} OTEL_EXPORTER_OTLP_ENDPOINT`).toEqual(['jaeger', '4318']);
    }
  });

  it('lets the worker scale: no fixed container name or published port', () => {
    expect(service('worker').container_name).toBeUndefined();
    expect(service('worker').ports).toBeUndefined();
  });

  it('publishes the API on 3000 and the Temporal UI on 8080', () => {
    expect(service('api').ports).toContain('3000:3000');
    expect(service('temporal-ui').ports).toContain('8080:8080');
    expect(environmentOf('temporal-ui').TEMPORAL_ADDRESS).toBe('temporal:7233');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('installs production dependencies only and runs as a non-root user in production mode', () => {
    expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim|ARG NODE_IMAGE=node:20-bookworm-slim/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/NODE_ENV=production/);
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((match) => match[1]);
    expect(users.at(-1)).toBeDefined();
    expect(['root', '0']).not.toContain(users.at(-1));
  });

  it('lets SIGTERM reach the component through `npm run` (script shell that execs), for a graceful `docker stop`', () => {
    expect(dockerfile).toMatch(/NPM_CONFIG_SCRIPT_SHELL=\/bin\/bash/);
    for (const name of appServices) expect(service(name).init, `${name} runs under an init that forwards signals`).toBe(true);
  });

  it('has at run time everything the component scripts start with (tsx is a dependency, not a devDependency)', () => {
    for (const name of appServices) {
      const script = packageJson.scripts[(service(name).command as string[])[2]!]!;
      const runner = script.split(' ')[0]!;
      expect(packageJson.dependencies, `"${script}" needs ${runner} after npm ci --omit=dev`).toHaveProperty([runner]);
    }
  });

  it('bundles the workflows at build time, where the worker is told to load them from', () => {
    const built = /^RUN npm run build:workflows -- (\S+)$/m.exec(dockerfile)?.[1];
    expect(built, 'a build step bundles the workflows').toBeDefined();
    expect(dockerfile.split('\n')).toContain(`ENV WORKER_WORKFLOW_BUNDLE=${built}`);
  });

  it('leaves dependencies and local state out of the build context', () => {
    const ignored = read('.dockerignore').split('\n').map((line) => line.trim());
    for (const entry of ['node_modules', '.data', '.cache', '.git']) expect(ignored).toContain(entry);
  });
});

describe('monitoring in docker-compose.yml', () => {
  interface ScrapeConfig {
    job_name: string;
    static_configs?: { targets: string[] }[];
    dns_sd_configs?: { names: string[]; type?: string; port: number }[];
  }
  const prometheus = parse(read('docker/prometheus/prometheus.yml')) as { scrape_configs: ScrapeConfig[] };
  const targets = prometheus.scrape_configs.flatMap((job) => [
    ...(job.static_configs ?? []).flatMap((config) => config.targets),
    ...(job.dns_sd_configs ?? []).flatMap((config) => config.names.map((name) => `${name}:${config.port}`)),
  ]);
  /** The port each component's HTTP server listens on in the compose stack (its setting there, or the default). */
  const listenPort = (name: string): number => {
    const config = loadConfig(resolvedEnvironmentOf(name));
    const ports: Record<string, number> = {
      api: config.PORT,
      'payment-provider': config.PAYMENT_PROVIDER_PORT,
      inventory: config.INVENTORY_PORT,
      notifications: config.NOTIFICATIONS_PORT,
      'order-outcome': config.ORDER_OUTCOME_PORT,
      'order-view': config.ORDER_VIEW_PORT,
      carrier: config.CARRIER_PORT,
      shipping: config.SHIPPING_PORT,
      worker: config.WORKER_METRICS_PORT,
    };
    return ports[name]!;
  };

  it('has Prometheus scrape every component at the port it listens on (the worker through DNS, so every replica is found)', () => {
    expect(service('prometheus').volumes).toContain('./docker/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    expect(targets.sort()).toEqual(appServices.map((name) => `${name}:${listenPort(name)}`).sort());
    expect(prometheus.scrape_configs.find((job) => job.dns_sd_configs)?.dns_sd_configs?.[0]?.names).toEqual(['worker']);
  });

  it('provisions Grafana from the repository: the Prometheus data source and the dashboards folder', () => {
    const volumes = service('grafana').volumes as string[];
    expect(volumes).toContain('./docker/grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(volumes).toContain('./docker/grafana/dashboards:/var/lib/grafana/dashboards:ro');
    const datasources = parse(read('docker/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; url: string }[] };
    expect(datasources.datasources).toEqual([expect.objectContaining({ uid: 'ensemble-prometheus', url: 'http://prometheus:9090' })]);
    const providers = parse(read('docker/grafana/provisioning/dashboards/ensemble.yml')) as { providers: { options: { path: string } }[] };
    expect(providers.providers[0]?.options.path).toBe('/var/lib/grafana/dashboards');
  });

  it('has a dashboard for orders by outcome, end-to-end latency, consumer lag and dead letters, using only metrics the code registers', () => {
    const dashboard = JSON.parse(read('docker/grafana/dashboards/ensemble-overview.json')) as {
      panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    const used = new Set(exprs.flatMap((expr) => [...expr.matchAll(/\bensemble_\w+/g)].map(([name]) => name.replace(/_(bucket|count|sum)$/, ''))));
    const registered = new Set<string>(Object.values(MetricName));
    expect([...used].filter((name) => !registered.has(name))).toEqual([]);
    for (const needed of [MetricName.ordersCompleted, MetricName.orderDuration, MetricName.consumerQueueDepth, MetricName.eventsDeadLettered, MetricName.httpRequestDuration]) {
      expect(used, `the dashboard shows ${needed}`).toContain(needed);
    }
    for (const panel of dashboard.panels) expect(panel.datasource.uid, panel.title).toBe('ensemble-prometheus');
  });
});

describe('docker-compose.cluster.yml, the production-shaped topology layered on docker-compose.yml', () => {
  const clusterText = read('docker-compose.cluster.yml');
  const brokerHosts = ['rabbitmq', 'rabbitmq-2', 'rabbitmq-3'];
  const twinned = ['inventory', 'notifications', 'order-outcome', 'order-view', 'shipping', 'worker', 'api'];
  let merged: ComposeFile & { services: Record<string, Service & { hostname?: string; deploy?: { replicas?: number } }> };

  /** Both files as `docker compose -f docker-compose.yml -f docker-compose.cluster.yml config` merges them, with the test .env. */
  function mergedConfig(env: Record<string, string>): { status: number | null; stderr: string; stdout: string } {
    const variables = Object.fromEntries(Object.entries(process.env).filter(([name]) => !envExampleVariables.includes(name)));
    const result = spawnSync(composeProgram.program, [...composeProgram.prefix, '-f', 'docker-compose.yml', '-f', 'docker-compose.cluster.yml', '--project-directory', root, '--env-file', '/dev/null', 'config', '--format', 'json'], {
      cwd: root, encoding: 'utf8', env: { ...variables, ...env },
    });
    return { status: result.status, stderr: result.stderr, stdout: result.stdout };
  }
  let composeProgram: Awaited<ReturnType<typeof locateComposeCli>>;
  const mergedEnvironmentOf = (name: string) =>
    Object.fromEntries(Object.entries(merged.services[name]?.environment ?? {}).map(([key, value]) => [key, value === null ? '' : String(value)])) as Record<string, string>;

  beforeAll(async () => {
    composeProgram = await locateComposeCli(progressOnStderr);
    const { status, stderr, stdout } = mergedConfig(testEnv);
    if (status !== 0) throw new Error(`docker compose config (both files) failed: ${stderr}`);
    merged = JSON.parse(stdout) as typeof merged;
  }, 30 * 60_000);

  it('is valid against the Compose Specification JSON schema, and accepted merged with docker-compose.yml', () => {
    const { $schema: _draft, ...schema } = JSON.parse(read('node_modules/dclint/schemas/compose.schema.json')) as Record<string, unknown>;
    const ajv = new Ajv({ allErrors: true, strictSchema: true, strictTypes: false, strictTuples: false, strictRequired: false });
    const validate = ajv.compile(schema);
    // The yaml package keeps Compose's !override tag as the sequence it marks.
    validate(parse(clusterText, { merge: true, customTags: [{ tag: '!override', collection: 'seq', resolve: (value: unknown) => value }] }));
    expect(validate.errors ?? [], ajv.errorsText(validate.errors, { separator: '\n' })).toEqual([]);
    // Without the cookie in the environment, Compose refuses and names it.
    const { RABBITMQ_ERLANG_COOKIE: _cookie, ...withoutCookie } = testEnv;
    const refused = mergedConfig(withoutCookie);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('RABBITMQ_ERLANG_COOKIE');
  });

  it('runs three RabbitMQ nodes with their own names and data, one cookie, each knowing the other two', () => {
    const conf = read('docker/rabbitmq/cluster.conf');
    for (const host of brokerHosts) {
      const node = merged.services[host]!;
      expect(node.image ?? service('rabbitmq').image, host).toMatch(/^rabbitmq:4-management$/);
      expect(node.hostname, `${host} hostname (its node name is rabbit@<hostname>)`).toBe(host);
      expect(conf).toContain(`= rabbit@${host}\n`);
      const volumes = (node.volumes ?? []).map((volume) => (typeof volume === 'string' ? volume : `${volume.source}`));
      expect(volumes.some((volume) => volume.endsWith('docker/rabbitmq/cluster.conf')), `${host} mounts the cluster's peer list`).toBe(true);
      const environment = mergedEnvironmentOf(host);
      expect(environment.RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS).toBe(`-setcookie ${testEnv.RABBITMQ_ERLANG_COOKIE}`);
      expect(environment.RABBITMQ_CTL_ERL_ARGS).toBe(`-setcookie ${testEnv.RABBITMQ_ERLANG_COOKIE}`);
      expect(merged.services[host]!.healthcheck?.test).toEqual(['CMD', 'rabbitmq-diagnostics', '-q', 'ping']);
    }
    const dataVolumes = brokerHosts.map((host) => (merged.services[host]!.volumes ?? []).find((volume) => typeof volume !== 'string' && volume.type === 'volume'));
    expect(new Set(dataVolumes.map((volume) => (volume as { source?: string }).source)).size).toBe(3);
  });

  it('runs two instances of every component but the stand-ins, each given every node and quorum queues, after all three nodes are healthy', () => {
    for (const name of appServices) {
      const replicas = merged.services[name]!.deploy?.replicas ?? 1;
      expect(replicas, `${name} instances`).toBe(twinned.includes(name) ? 2 : 1);
      const environment = mergedEnvironmentOf(name);
      expect(() => loadConfig(environment), `${name} configuration`).not.toThrow();
      if (!environment.AMQP_URL) continue;
      const urls = loadConfig(environment).AMQP_URL.map((url) => new URL(url));
      expect(urls.map((url) => url.hostname), `${name} AMQP_URL`).toEqual(brokerHosts);
      expect(new Set(urls.map((url) => `${url.username}:${decodeURIComponent(url.password)}`)).size, `${name} logs in as itself on every node`).toBe(1);
      expect(urls[0]!.username).toBe(name);
      expect(environment.RABBITMQ_QUEUE_TYPE, name).toBe('quorum');
      for (const host of brokerHosts) expect(dependenciesOfMerged(name)[host], `${name} waits for ${host}`).toBe('service_healthy');
    }
    for (const host of brokerHosts) expect(dependenciesOfMerged('broker-users')[host]).toBe('service_healthy');
  });

  it('keeps docker-compose.yml\'s Temporal server and UI on PostgreSQL, and publishes one host port per API instance', () => {
    expect(mergedEnvironmentOf('temporal')).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
    expect(merged.services['temporal-ui']).toBeDefined();
    expect(merged.services.api!.ports).toEqual([expect.objectContaining({ target: 3000, published: '3000-3001' })]);
  });

  function dependenciesOfMerged(name: string): Record<string, string> {
    const dependsOn = merged.services[name]?.depends_on ?? {};
    if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((target) => [target, 'service_started']));
    return Object.fromEntries(Object.entries(dependsOn).map(([target, options]) => [target, options.condition ?? 'service_started']));
  }
});
