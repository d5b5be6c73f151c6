// The Model section of Settings as a form. A number input's bound value is a number (or null when
// empty), not a string; every field is read through here so Save and Load never see the wrong
// type (issue 15, defect 1), and out-of-range values are named next to their field.
import { SettingsSchema } from '../../../main/contract/api.ts';

export interface NumberFieldResult {
  value?: number;
  error?: string;
}

/** Empty (null, undefined, '' or blank) → no value; otherwise an integer the schema accepts. */
function integerField(raw: unknown, accepts: (n: number) => boolean, range: string, optional: boolean): NumberFieldResult {
  const text = raw === null || raw === undefined ? '' : String(raw).trim();
  if (text === '') return optional ? {} : { error: `Enter ${range}.` };
  const n = Number(text);
  if (!Number.isInteger(n) || !accepts(n)) return { error: `Must be ${range}.` };
  return { value: n };
}

export function parseThreads(raw: unknown): NumberFieldResult {
  const schema = SettingsSchema.shape.threads.unwrap();
  return integerField(raw, (n) => schema.safeParse(n).success, `a whole number from ${schema.minValue} to ${schema.maxValue}, or empty for automatic`, true);
}

export function parseContextSize(raw: unknown): NumberFieldResult {
  const schema = SettingsSchema.shape.contextSize;
  return integerField(raw, (n) => schema.safeParse(n).success, `a whole number from ${schema.minValue} to ${schema.maxValue}`, false);
}

export function parseGpuLayers(raw: unknown): NumberFieldResult {
  return integerField(raw, (n) => n >= 0, 'a whole number from 0', false);
}
