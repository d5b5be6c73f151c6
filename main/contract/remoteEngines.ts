// Engines: the local one (the app's own host process) or a remote engine the user added in Settings
// (llama.cpp's llama-server, alone or in front of rpc-servers, or vLLM). Environment-free, so the
// renderer shows the same shapes main stores. An API key is written here only as input: what comes
// back across the contract says whether one is stored, never the key.
import { z } from 'zod';
import { ErrorDataSchema } from './errors.ts';

export const REMOTE_ENGINE_KINDS = ['llamaCppServer', 'vllm'] as const;
export const RemoteEngineKindSchema = z.enum(REMOTE_ENGINE_KINDS);
export type RemoteEngineKind = z.infer<typeof RemoteEngineKindSchema>;

/** What a person reads for each kind. */
export const ENGINE_KIND_LABELS: Readonly<Record<RemoteEngineKind | 'local', string>> = {
  local: 'This computer',
  llamaCppServer: 'llama.cpp server',
  vllm: 'vLLM',
};

export const LOCAL_ENGINE_ID = 'local';
export const RemoteEngineIdSchema = z.string().regex(/^eng_[a-z0-9]{8,32}$/);
/** The engine behind the chats: 'local' or a remote engine's id. */
export const EngineIdSchema = z.union([z.literal(LOCAL_ENGINE_ID), RemoteEngineIdSchema]);
export type EngineId = z.infer<typeof EngineIdSchema>;

/** http(s) only, no credentials in the URL (the key has its own field), no query or fragment. */
export const BaseUrlSchema = z
  .string()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '' && u.search === '' && u.hash === '';
    } catch {
      return false;
    }
  }, 'an http:// or https:// address without user, password, query or fragment');

export const RemoteEngineConfigSchema = z.object({
  id: RemoteEngineIdSchema,
  name: z.string().trim().min(1).max(80),
  kind: RemoteEngineKindSchema,
  baseUrl: BaseUrlSchema,
});
export type RemoteEngineConfig = z.infer<typeof RemoteEngineConfigSchema>;

/** A remote engine as the UI sees it. */
export const RemoteEngineSchema = RemoteEngineConfigSchema.extend({ hasApiKey: z.boolean() });
export type RemoteEngine = z.infer<typeof RemoteEngineSchema>;

/** Adding or changing one. `apiKey`: a string sets it, null forgets it, absent keeps it. */
export const RemoteEngineInputSchema = RemoteEngineConfigSchema.omit({ id: true })
  .extend({ apiKey: z.string().min(1).max(4096).nullable().optional() })
  .strict();
export type RemoteEngineInput = z.infer<typeof RemoteEngineInputSchema>;

/** What a remote server reported about the model it serves, once checked to be Chameleon. */
export const RemoteModelSchema = z.object({
  /** The model's name as the server reports it (a file name for llama-server, a repo id for vLLM). */
  id: z.string(),
  vocabularySize: z.number().int(),
  contextSize: z.number().int(),
  /** Bytes of the model file, when the server says. */
  sizeBytes: z.number().int().nonnegative().optional(),
  /**
   * 'tokenIds': images go as our VQ-GAN's codes inside the token-id prompt (the exact prompt the
   * local engine evaluates). 'imageUrl': the server takes images as pictures and runs its own
   * image tokenizer (vLLM without token-id prompts).
   */
  imageInput: z.enum(['tokenIds', 'imageUrl']),
  /** Sampling parameters of ours this server does not apply. */
  ignoredSampling: z.array(z.string()),
});
export type RemoteModel = z.infer<typeof RemoteModelSchema>;

/** Which engine and model produced a message (stored with it, exported with it). */
export const MessageEngineSchema = z.object({
  kind: z.enum(['local', ...REMOTE_ENGINE_KINDS]),
  name: z.string().max(200),
  model: z.string().max(1000),
});
export type MessageEngine = z.infer<typeof MessageEngineSchema>;

/** The engines list and which one answers now, with the remote connection's state. */
export const EnginesSnapshotSchema = z.object({
  active: EngineIdSchema,
  engines: z.array(RemoteEngineSchema),
  /** The active remote engine's connection: absent while the local engine is active. */
  remote: z
    .object({
      state: z.enum(['connecting', 'ready', 'error']),
      model: RemoteModelSchema.optional(),
      error: ErrorDataSchema.optional(),
    })
    .optional(),
  /** Where API keys are kept: the OS keychain (Electron safeStorage) or a 0600 file (server mode). */
  keyStorage: z.enum(['keychain', 'file']),
});
export type EnginesSnapshot = z.infer<typeof EnginesSnapshotSchema>;
