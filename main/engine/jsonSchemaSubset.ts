// The part of JSON Schema that node-llama-cpp turns into a grammar (its GbnfJsonSchema). A keyword
// outside it would be silently dropped — a client asking for `minimum: 0` or a `pattern` would get
// output that breaks its own schema — so a schema using one is refused, naming the keyword.
import { AppError } from '../contract/errors.ts';

/** Keywords the grammar honours. */
const CONSTRAINING = new Set(['type', 'properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties', 'items', 'prefixItems', 'minItems', 'maxItems', 'minLength', 'maxLength', 'format', 'enum', 'const', 'oneOf', '$defs', '$ref']);
/** Keywords that describe and never constrain: harmless to ignore. */
const ANNOTATIONS = new Set(['description', 'title', '$schema', '$id', '$comment', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly']);

/** Throws api.badRequest at the first keyword the grammar would ignore (path like `properties.age.minimum`). */
export function assertGrammarSchema(schema: unknown, path = '', depth = 0): void {
  if (depth > 32) throw new AppError('api.badRequest', 'The JSON schema is nested too deeply.', { param: 'response_format' });
  if (typeof schema === 'boolean') return;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new AppError('api.badRequest', `The JSON schema${path ? ` at ${path}` : ''} must be an object.`, { param: 'response_format' });
  }
  for (const [key, value] of Object.entries(schema)) {
    const at = path ? `${path}.${key}` : key;
    if (ANNOTATIONS.has(key)) continue;
    if (!CONSTRAINING.has(key)) {
      throw new AppError('api.badRequest', `The JSON schema keyword "${key}" (at ${at}) cannot be enforced while sampling; remove it or check it after the answer.`, { param: 'response_format', keyword: key });
    }
    if (key === 'properties' || key === '$defs') {
      for (const [name, sub] of Object.entries(value as Record<string, unknown>)) assertGrammarSchema(sub, `${at}.${name}`, depth + 1);
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      assertGrammarSchema(value, at, depth + 1);
    } else if (key === 'prefixItems' || key === 'oneOf') {
      if (!Array.isArray(value)) throw new AppError('api.badRequest', `${at} must be an array of schemas.`, { param: 'response_format' });
      value.forEach((sub, i) => assertGrammarSchema(sub, `${at}[${i}]`, depth + 1));
    }
  }
}
