// Which JSON schemas a grammar can hold the output to: everything else is refused by name.
import { describe, expect, it } from 'vitest';
import { assertGrammarSchema } from '../../../main/engine/jsonSchemaSubset.ts';

const refusal = (schema: unknown): unknown => {
  try {
    assertGrammarSchema(schema);
    return 'ok';
  } catch (err) {
    return err;
  }
};

describe('assertGrammarSchema', () => {
  it('accepts what the grammar enforces, annotations included', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'Pick',
      type: 'object',
      properties: {
        colour: { enum: ['red', 'green'], description: 'a colour' },
        tags: { type: 'array', items: { type: 'string', maxLength: 12 }, maxItems: 3 },
        at: { type: 'string', format: 'date-time' },
        either: { oneOf: [{ type: 'integer' }, { type: 'null' }] },
        ref: { $ref: '#/$defs/point' },
      },
      required: ['colour'],
      additionalProperties: false,
      $defs: { point: { type: 'object', properties: { x: { type: 'number' } } } },
    };
    expect(refusal(schema)).toBe('ok');
    expect(refusal(true)).toBe('ok');
  });

  it('refuses a keyword the grammar would silently drop, with where it is', () => {
    for (const [schema, keyword, at] of [
      [{ type: 'object', patternProperties: { '^a': { type: 'string' } } }, 'patternProperties', 'patternProperties'],
      [{ type: 'object', properties: { age: { type: 'integer', minimum: 0 } } }, 'minimum', 'properties.age.minimum'],
      [{ type: 'array', items: { type: 'string', pattern: '^x' } }, 'pattern', 'items.pattern'],
      [{ anyOf: [{ type: 'string' }] }, 'anyOf', 'anyOf'],
      [{ oneOf: [{ type: 'string', not: {} }] }, 'not', 'oneOf[0].not'],
    ] as const) {
      const err = refusal(schema) as { code: string; message: string; details: { keyword: string } };
      expect(err.code).toBe('api.badRequest');
      expect(err.details.keyword).toBe(keyword);
      expect(err.message).toContain(at);
    }
    expect(refusal('a string')).toMatchObject({ code: 'api.badRequest' });
  });
});
