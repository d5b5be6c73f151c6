// The model catalog, installed models, downloads and the fit check, as they cross the contract.
// One schema per idea: the catalog file (resources/catalog) is parsed with CatalogSchema, the UI
// and `npm run models` read the same shapes.
import { z } from 'zod';
import { ErrorDataSchema } from './errors.ts';

/** What a file makes possible: a GGUF answers text; VQ-GAN weights let images in. */
export const CapabilitySchema = z.enum(['text', 'imagesIn', 'imagesOut']);
export type Capability = z.infer<typeof CapabilitySchema>;

/** `imageHead`: rows of one tensor of a safetensors checkpoint, fetched by HTTP range (Anole's image rows of lm_head). */
export const ModelKindSchema = z.enum(['gguf', 'vqgan', 'imageHead']);
export type ModelKind = z.infer<typeof ModelKindSchema>;

const Sha256Schema = z.string().regex(/^[0-9a-f]{64}$/);
const CatalogIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,79}$/);

export const CatalogEntrySchema = z
  .object({
    id: CatalogIdSchema,
    name: z.string().min(1).max(120),
    kind: ModelKindSchema,
    /** Hub repo `owner/name`. */
    repo: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/),
    revision: z.string().min(1).max(100).default('main'),
    /** Path inside the repo. */
    file: z.string().min(1).max(300).refine((p) => !p.split('/').some((s) => s === '..' || s === '' || s === '.'), 'a plain relative path'),
    /** The size as the Hub lists it (the exact size and sha256 come from the Hub's LFS metadata when absent). */
    bytes: z.number().int().positive(),
    sha256: Sha256Schema.optional(),
    quant: z.string().max(20).optional(),
    licence: z.string().min(1).max(200),
    enables: z.array(CapabilitySchema).min(1),
    /** The repo asks the user to accept a licence on the Hub and to use a token. */
    gated: z.boolean().default(false),
    /** Preselected in the first-run guide. */
    recommended: z.boolean().default(false),
    notes: z.string().max(500).optional(),
    /** kind imageHead: `file` is the checkpoint's model.safetensors.index.json; these rows of `tensor` are fetched. */
    slice: z.object({ tensor: z.string().min(1).max(200), rowStart: z.number().int().min(0), rowEnd: z.number().int().positive() }).strict().optional(),
  })
  .strict()
  .refine((e) => (e.kind === 'imageHead') === (e.slice !== undefined), { message: 'an imageHead entry (and only one) names a slice', path: ['slice'] })
  .refine((e) => !e.slice || e.slice.rowEnd > e.slice.rowStart, { message: 'rowEnd must be above rowStart', path: ['slice'] });
export type CatalogEntry = z.output<typeof CatalogEntrySchema>;

export const CatalogSchema = z
  .object({ version: z.literal(1), entries: z.array(CatalogEntrySchema).min(1) })
  .strict()
  .superRefine((catalog, ctx) => {
    const seen = new Set<string>();
    for (const [i, e] of catalog.entries.entries()) {
      if (seen.has(e.id)) ctx.addIssue({ code: 'custom', path: ['entries', i, 'id'], message: `duplicate id ${e.id}` });
      seen.add(e.id);
    }
  });
export type Catalog = z.output<typeof CatalogSchema>;

export const InstalledModelSchema = z.object({
  /** The catalog id, or `local-<hash>` for an imported file. */
  id: z.string().min(1).max(100),
  name: z.string(),
  kind: ModelKindSchema,
  path: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: Sha256Schema.optional(),
  quant: z.string().optional(),
  enables: z.array(CapabilitySchema),
  /** Linked in place (an import the user kept where it was) rather than inside the models folder. */
  linked: z.boolean(),
  addedAt: z.number().int(),
});
export type InstalledModel = z.infer<typeof InstalledModelSchema>;

export const DownloadStateSchema = z.enum(['queued', 'downloading', 'verifying', 'paused', 'failed']);
export type DownloadState = z.infer<typeof DownloadStateSchema>;

export const DownloadStatusSchema = z.object({
  id: CatalogIdSchema,
  state: DownloadStateSchema,
  /** Bytes on disk (downloading) or hashed (verifying). */
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
  bytesPerSecond: z.number().nonnegative(),
  /** Seconds; null when unknown. */
  secondsLeft: z.number().nonnegative().nullable(),
  error: ErrorDataSchema.optional(),
});
export type DownloadStatus = z.infer<typeof DownloadStatusSchema>;

/**
 * A GGUF the app is writing from another (`imageAliases`: a Chameleon GGUF made image-capable with
 * Anole's head, chameleon.md §6.4). Running ones report bytes written; a failed one keeps its error
 * until dismissed. Nothing is left on disk by a failed or cancelled one.
 */
export const TransformStatusSchema = z.object({
  /** the id the result will be installed under */
  id: z.string().min(1).max(100),
  /** imageAliases: an installed GGUF made image-capable; convert: an HF checkpoint folder → GGUF */
  kind: z.enum(['imageAliases', 'convert']),
  /** imageAliases: the installed GGUF it reads */
  sourceId: z.string().min(1).max(100).optional(),
  /** what is being written, for the screen */
  name: z.string(),
  /** quantizing: llama.cpp's quantizer runs (it reports no progress and cannot be interrupted) */
  state: z.enum(['running', 'quantizing', 'failed']),
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
  error: ErrorDataSchema.optional(),
});
export type TransformStatus = z.infer<typeof TransformStatusSchema>;

/** What "Convert a checkpoint" quantizes to (F16: the converter's output as it is). */
export const ConvertQuantSchema = z.enum(['Q4_K_M', 'Q5_K_M', 'Q6_K', 'Q8_0', 'F16']);
export type ConvertQuant = z.infer<typeof ConvertQuantSchema>;

/** The id an image-capable copy of installed GGUF `sourceId` is installed under. */
export function imageCapableId(sourceId: string): string {
  return `${sourceId}-images`.slice(0, 100);
}

export const ModelsSnapshotSchema = z.object({
  modelsDir: z.string(),
  installed: z.array(InstalledModelSchema.extend({ inUse: z.boolean() })),
  downloads: z.array(DownloadStatusSchema),
  transforms: z.array(TransformStatusSchema),
  /** A Hub token is stored (its value never crosses the contract). */
  hasToken: z.boolean(),
});
export type ModelsSnapshot = z.infer<typeof ModelsSnapshotSchema>;

export const FitVerdictSchema = z.enum(['gpu', 'partial', 'cpu', 'tooBig']);
export type FitVerdict = z.infer<typeof FitVerdictSchema>;

/** Whether a GGUF runs on this machine at a context size, from node-llama-cpp's GGUF insights. */
export const FitReportSchema = z.object({
  verdict: FitVerdictSchema,
  contextSize: z.number().int(),
  gpuLayers: z.number().int(),
  totalLayers: z.number().int(),
  /** Needed with `gpuLayers` offloaded: model + context. */
  ramBytes: z.number(),
  vramBytes: z.number(),
  /** What this machine has (stated by the caller in tests). */
  availableRamBytes: z.number(),
  availableVramBytes: z.number(),
  /** 1026 tokens each. */
  imagesInContext: z.number().int(),
});
export type FitReport = z.infer<typeof FitReportSchema>;
