// Property-based fuzzing from the served /openapi.json: for every operation, valid and "valid-ish" inputs generated from its own schemas never get a 5xx, and every answer is one the document promises, in the shape it promises.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningApi } from '../../api/index.js';
import { orderTaskQueue } from '../../workflows/contract.js';
import { startTestApi, startTestWorker, testConfig, type TestWorker } from '../support/api.js';
import { SchemaArbitraries, type JsonSchema } from '../support/openapi-arbitraries.js';
import { adminAuth } from '../support/secrets.js';

/** Fixed, so a failure replays; FUZZ_SEED explores other inputs. fast-check prints the seed and the shrunk input on failure. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const RUNS_PER_OPERATION = 25;

/**
 * The operators' dead-letter routes act on the shared test broker's queues (and need its management API); their inputs
 * are built from the same schema pieces as the rest, which the hostile-input test covers.
 */
const SKIPPED_TAGS = ['admin'];

type Operation = {
  operationId: string;
  tags?: string[];
  parameters?: { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema: JsonSchema }[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, { content?: { 'application/json'?: { schema: JsonSchema } } }>;
};

let api: RunningApi;
let worker: TestWorker;
let owners: Server;
let document: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, JsonSchema> } };
let authorization: Record<string, string>;

/**
 * Inventory's and notifications' surfaces, answering as the owners do, so that an API answer of 503 would be the API's
 * own fault and not an owner's absence.
 */
function startOwnerStandIn(): Promise<string> {
  owners = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      const url = new URL(req.url ?? '/', 'http://owner');
      const sku = /^\/products\/([^/]+)$/.exec(url.pathname)?.[1];
      if (req.method === 'PUT' && sku) {
        const product = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string; price: number; available: number; active?: boolean };
        res.end(JSON.stringify({ sku: decodeURIComponent(sku), ...product, active: product.active ?? true, currency: 'EUR', revision: 1 }));
      } else if (req.method === 'GET' && url.pathname === '/notifications') {
        res.end(JSON.stringify({ notifications: [] }));
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no such route' } }));
      }
    });
  });
  return new Promise((resolve) => owners.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(owners.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  const infrastructure = inject('infrastructure');
  const ownerUrl = await startOwnerStandIn();
  const config = testConfig(infrastructure, { INVENTORY_URL: ownerUrl, NOTIFICATIONS_URL: ownerUrl, ORDER_OUTCOME_URL: ownerUrl });
  api = await startTestApi(config);
  worker = await startTestWorker(infrastructure.temporalAddress, orderTaskQueue(config));
  authorization = await adminAuth();
  document = (await (await fetch(`${api.url}/openapi.json`)).json()) as typeof document;
});

afterAll(async () => {
  await worker?.stop();
  await api?.stop();
  await new Promise((resolve) => owners?.close(resolve));
});

type Input = { path: Record<string, unknown>; query: Record<string, unknown>; headers: Record<string, unknown>; body?: unknown };

/** One arbitrary per request part, from the operation's parameters and body schema. */
function inputArbitrary(arbitraries: SchemaArbitraries, operation: Operation, mode: 'valid' | 'validish'): fc.Arbitrary<Input> {
  const of = (schema: JsonSchema) => (mode === 'valid' ? arbitraries.valid(schema) : arbitraries.validish(schema));
  const part = (where: 'path' | 'query' | 'header') => {
    const parameters = (operation.parameters ?? []).filter((parameter) => parameter.in === where);
    const model = Object.fromEntries(parameters.map((parameter) => [parameter.name, of(parameter.schema)]));
    // Header values must be bytes a client can send: keep the printable ASCII ones.
    const sendable = where === 'header' ? (value: unknown) => typeof value !== 'string' || /^[\x20-\x7e]*$/.test(value) : () => true;
    const required = parameters.filter((parameter) => parameter.required || where === 'path').map((parameter) => parameter.name);
    // "", "." and ".." in a path segment name another URL (fetch normalises them): hostile-input.test.ts sends those raw.
    const addressable = where === 'path' ? (value: unknown) => !['', '.', '..'].includes(String(value)) : () => true;
    return fc.record(model, { requiredKeys: required }).filter((values) => Object.values(values).every((value) => sendable(value) && addressable(value)));
  };
  const bodySchema = operation.requestBody?.content['application/json'].schema;
  return fc.record({
    path: part('path'),
    query: part('query'),
    headers: part('header'),
    body: bodySchema ? of(bodySchema) : fc.constant(undefined),
  });
}

function urlFor(template: string, input: Input): string {
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(typeof input.path[name] === 'string' ? (input.path[name]) : JSON.stringify(input.path[name])));
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(input.query)) query.append(key, typeof value === 'string' ? value : JSON.stringify(value));
  const search = query.toString();
  return `${api.url}${path}${search ? `?${search}` : ''}`;
}

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addFormat('date-time', (value: string) => !Number.isNaN(Date.parse(value)));
ajv.addFormat('uri', (value: string) => URL.canParse(value));
ajv.addFormat('email', /^[^@\s]+@[^@\s]+$/);

describe('the API against inputs generated from its own OpenAPI document', () => {
  it('lists the operations it fuzzes', () => {
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
    expect(operations.filter((operation) => !operation.tags?.some((tag) => SKIPPED_TAGS.includes(tag))).length).toBeGreaterThanOrEqual(11);
  });

  it('never answers 5xx, and answers only documented statuses in their documented shape', { timeout: 120_000 }, async () => {
    ajv.addSchema({ ...document, $id: 'openapi.json' }, 'openapi.json');
    const arbitraries = new SchemaArbitraries(document.components.schemas);
    /** Status codes seen per operation and mode, to show the generators reach both acceptance and refusal. */
    const seen = new Map<string, Set<number>>();
    for (const [template, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (operation.tags?.some((tag) => SKIPPED_TAGS.includes(tag))) continue;
        const pointer = `openapi.json#/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses`;
        for (const mode of ['valid', 'validish'] as const) {
          const property = fc.asyncProperty(inputArbitrary(arbitraries, operation, mode), async (input) => {
            const hasBody = input.body !== undefined;
            const response = await fetch(urlFor(template, input), {
              method: method.toUpperCase(),
              headers: { ...authorization, ...(hasBody ? { 'content-type': 'application/json' } : {}), ...(input.headers as Record<string, string>) },
              body: hasBody ? JSON.stringify(input.body) : undefined,
            });
            const text = await response.text();
            const what = `${method.toUpperCase()} ${template} (${mode}) answered ${response.status}: ${text.slice(0, 500)}`;
            const key = `${operation.operationId} ${mode}`;
            seen.set(key, (seen.get(key) ?? new Set()).add(response.status));
            expect(response.status, what).toBeLessThan(500);
            const documented = operation.responses[String(response.status)];
            expect(documented, `${what}, which ${operation.operationId} does not document`).toBeDefined();
            const schemaPointer = documented?.content?.['application/json'] ? `${pointer}/${response.status}/content/application~1json/schema` : undefined;
            if (schemaPointer) {
              const validate = ajv.getSchema(schemaPointer) ?? ajv.compile({ $ref: schemaPointer });
              expect(validate(JSON.parse(text)), `${what}\n${ajv.errorsText(validate.errors)}`).toBe(true);
            }
          });
          await fc.assert(property, { seed: SEED, numRuns: RUNS_PER_OPERATION, endOnFailure: true });
        }
      }
    }
    if (process.env.FUZZ_REPORT) console.log(Object.fromEntries([...seen].map(([key, statuses]) => [key, [...statuses].sort()])));
    // Valid inputs are accepted and valid-ish ones refused, so both halves of each schema were really exercised.
    expect(seen.get('placeOrder valid')).toContain(201);
    expect(seen.get('putProduct valid')).toContain(200);
    expect(seen.get('listOrders valid')).toContain(200);
    for (const operationId of ['placeOrder', 'putProduct', 'listOrders', 'getOrder', 'listNotifications']) {
      expect(seen.get(`${operationId} validish`), operationId).toContain(400);
    }
  });
});
