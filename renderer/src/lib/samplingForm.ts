// The sampling fields as a form: typed text in, checked numbers out. Ranges come from the
// contract's schema (one declaration, never re-typed here), so a field can say "0 to 10" next to
// itself instead of the request failing behind the dialog (issue 15, defect 6).
import type { z } from 'zod';
import { SamplingOverridesSchema, type SamplingOverrides } from '../../../main/contract/engine.ts';

export type NumericSamplingKey = 'temperature' | 'topP' | 'topK' | 'minP' | 'repeatPenalty' | 'maxTokens' | 'seed';

export interface SamplingFieldSpec {
  key: NumericSamplingKey;
  label: string;
  step: number;
  /** Shown as the placeholder of an empty optional field. */
  emptyMeans?: string;
}

export const SAMPLING_FIELDS: readonly SamplingFieldSpec[] = [
  { key: 'temperature', label: 'Temperature', step: 0.05 },
  { key: 'topP', label: 'Top-p', step: 0.01 },
  { key: 'topK', label: 'Top-k (0 = off)', step: 1 },
  { key: 'minP', label: 'Min-p', step: 0.01, emptyMeans: 'off' },
  { key: 'repeatPenalty', label: 'Repeat penalty', step: 0.05 },
  { key: 'maxTokens', label: 'Max answer tokens', step: 1 },
  { key: 'seed', label: 'Seed', step: 1, emptyMeans: 'random' },
];

function schemaOf(key: NumericSamplingKey): z.ZodNumber {
  return SamplingOverridesSchema.shape[key].unwrap() as z.ZodNumber;
}

/** The allowed values of a field in words, e.g. "0 to 10", "more than 0, up to 1", "a whole number from 1". */
export function fieldRange(key: NumericSamplingKey): string {
  const s = schemaOf(key);
  const min = s.minValue;
  const max = s.maxValue;
  const whole = s.isInt ? 'a whole number ' : '';
  const exclusiveMin = min !== null && !s.safeParse(min).success;
  const hasMax = max !== null && Number.isFinite(max) && max < Number.MAX_SAFE_INTEGER;
  if (min !== null && hasMax) return exclusiveMin ? `${whole}more than ${min}, up to ${max}` : `${whole}${min} to ${max}`;
  if (min !== null) return exclusiveMin ? `${whole}more than ${min}` : `${whole}from ${min}`;
  return whole.trim() || 'a number';
}

export interface FieldResult {
  value?: number;
  /** Plain words for next to the field; absent when the text is acceptable. */
  error?: string;
}

/** One field's text → its number, or why not. An empty optional field (seed) is fine and means "absent". */
export function parseField(key: NumericSamplingKey, text: string): FieldResult {
  const t = text.trim();
  const spec = SAMPLING_FIELDS.find((f) => f.key === key)!;
  if (t === '') return spec.emptyMeans ? {} : { error: `Enter ${fieldRange(key)}.` };
  const n = Number(t);
  if (!Number.isFinite(n) || !schemaOf(key).safeParse(n).success) return { error: `Must be ${fieldRange(key)}.` };
  return { value: n };
}

export type SamplingTexts = Partial<Record<NumericSamplingKey, string>> & { stop?: string };

export function toTexts(values: SamplingOverrides): SamplingTexts {
  const out: SamplingTexts = {};
  for (const f of SAMPLING_FIELDS) {
    const v = values[f.key];
    out[f.key] = v === undefined ? '' : String(v);
  }
  out.stop = (values.stop ?? []).join('\n');
  return out;
}

/** Stop strings: one a line; blank lines dropped; at most what the schema allows. */
export function parseStops(text: string): string[] {
  return text
    .split('\n')
    .map((s) => s.replace(/\r$/, ''))
    .filter((s) => s.trim() !== '');
}

/** All fields at once: the values that parsed, and an error per field that did not. */
export function parseSampling(texts: SamplingTexts, keys: readonly NumericSamplingKey[]): { values: SamplingOverrides; errors: Partial<Record<NumericSamplingKey | 'stop', string>> } {
  const values: SamplingOverrides = {};
  const errors: Partial<Record<NumericSamplingKey | 'stop', string>> = {};
  for (const key of keys) {
    const r = parseField(key, texts[key] ?? '');
    if (r.error) errors[key] = r.error;
    else if (r.value !== undefined) values[key] = r.value;
  }
  if (texts.stop !== undefined) {
    const stops = parseStops(texts.stop);
    const max = (SamplingOverridesSchema.shape.stop.unwrap() as unknown as { maxLength: number | null }).maxLength ?? Infinity;
    if (stops.length > max) errors.stop = `At most ${max} stop strings.`;
    else if (stops.length > 0) values.stop = stops;
  }
  return { values, errors };
}

/** The fields of `chat` that differ from `defaults` (what the panel marks as changed). */
export function differingKeys(chat: SamplingOverrides | undefined, defaults: SamplingOverrides): Array<keyof SamplingOverrides> {
  if (!chat) return [];
  return (Object.keys(chat) as Array<keyof SamplingOverrides>).filter((k) => JSON.stringify(chat[k]) !== JSON.stringify(defaults[k]) && !(k === 'stop' && (chat.stop ?? []).length === 0));
}
