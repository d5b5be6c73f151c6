// The one API between the UI and main (house style rule 2): every command, event and stream is
// declared here once, with zod schemas. Main's handler object must satisfy `Handlers` (checked by
// the compiler); both transports (Electron IPC, the browser-mode WebSocket) and the renderer's
// client are derived from these tables, so a name or shape that is not here cannot cross.
// Environment-free: zod and ./ files only, so the renderer imports it too.
import { z } from 'zod';
import {
  ConversationSummarySchema,
  GeneratedImagePartSchema,
  INSTRUCTIONS_MAX_CHARS,
  IdSchema,
  ImagePartSchema,
  MessageSchema,
  PageRequestSchema,
  SearchHitSchema,
  SearchQuerySchema,
  TITLE_MAX_CHARS,
  UserMessagePartsSchema,
  pageSchema,
} from './chat.ts';
import {
  DefaultSamplingSchema,
  EngineStatusSchema,
  GenerationModeSchema,
  ImageSamplingSchema,
  GenerationResultSchema,
  LoadChoicesSchema,
  ModelLoadSettingsSchema,
  SamplingOverridesSchema,
  SamplingPatchSchema,
  StopReasonSchema,
} from './engine.ts';
import { ErrorDataSchema } from './errors.ts';
import { PresetInputSchema, PresetSchema } from './presets.ts';
import { ExportProgressSchema, ExportRequestSchema, TRANSCRIPT_TEXT_MAX_CHARS } from './transcript.ts';
import { EngineIdSchema, EnginesSnapshotSchema, RemoteEngineIdSchema, RemoteEngineInputSchema, RemoteModelSchema } from './remoteEngines.ts';
import { CatalogEntrySchema, DownloadStatusSchema, FitReportSchema, InstalledModelSchema, ModelKindSchema, ModelsSnapshotSchema, TransformStatusSchema, ConvertQuantSchema } from './models.ts';

// ── shared shapes ─────────────────────────────────────────────────────────────────────────────

const Empty = z.object({}).strict();
const Ok = z.null();

/** The settings screen's view of the settings file (main/settings owns the file and its version). */
export const SettingsSchema = LoadChoicesSchema.extend({
  modelPath: z.string().min(1).optional(),
  /** The VQ-GAN weights for image input; checked (header and tensors) when set: vqgan.* errors. */
  vqganWeightsPath: z.string().min(1).optional(),
  sampling: DefaultSamplingSchema,
});
export type Settings = z.infer<typeof SettingsSchema>;

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** 'electron': native dialogs exist (model.pickFile); 'browser': served by `npm run serve`. */
  mode: z.enum(['electron', 'browser']),
  platform: z.string(),
  dataDir: z.string(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

const ConversationRef = z.object({ id: IdSchema }).strict();
const MessageRef = z.object({ messageId: IdSchema }).strict();

/** One request the local API server answered: never a body, a query string or a key. */
export const RequestLogEntrySchema = z.object({
  method: z.string(),
  /** The path without its query. */
  path: z.string(),
  status: z.number().int(),
  durationMs: z.number().nonnegative(),
  /** When it arrived (ms since the epoch). */
  at: z.number(),
});
export type RequestLogEntry = z.infer<typeof RequestLogEntrySchema>;

/** What an answer may contain (text only when absent) and how its images are sampled. */
const ANSWER_MODE = { mode: GenerationModeSchema.optional(), imageSampling: ImageSamplingSchema.partial().optional() };

/** Whether images can be attached now, and why not (image.tokenizerMissing …) when they cannot. */
export const ImageCapabilitySchema = z.object({
  available: z.boolean(),
  /** Why images cannot be attached now; absent when they can. */
  reason: ErrorDataSchema.optional(),
  /** What one image costs in the context: BOI + 1024 codes + EOI. */
  tokensPerImage: z.number().int(),
  /** Whether the loaded model can draw (image aliases + decoder weights), and why not. */
  output: z.object({ available: z.boolean(), reason: ErrorDataSchema.optional() }).optional(),
});
export type ImageCapability = z.infer<typeof ImageCapabilitySchema>;

/** A one-time handle for a file the user picked in a native dialog: main accepts handles, not paths. */
const FileHandleSchema = z.string().regex(/^file_[A-Za-z0-9_-]{16,64}$/);
/** A file picked in a native dialog: the handle to pass back, the path to show. */
export const PickedFileSchema = z.object({ handle: FileHandleSchema, path: z.string() });
export type PickedFile = z.infer<typeof PickedFileSchema>;

const ImageHashSchema = z.string().regex(/^[0-9a-f]{64}$/);
/** Base64 of at most 64 MiB of image bytes (inspectImage's limit); transports size frames by it. */
export const IMAGE_ATTACH_MAX_BASE64_CHARS = Math.ceil((64 * 1024 * 1024) / 3) * 4;
const ImageDataSchema = z.string().min(1).max(IMAGE_ATTACH_MAX_BASE64_CHARS);

// ── commands: request → one answer ────────────────────────────────────────────────────────────

export const commands = {
  'app.info': { input: Empty, output: AppInfoSchema },

  /** Live chats, newest activity first: the unarchived ones (pinned ones included), or with `archived` the archived ones. */
  'chats.list': { input: PageRequestSchema.extend({ archived: z.boolean().optional() }).strict(), output: pageSchema(ConversationSummarySchema) },
  /** The pinned, unarchived chats (the sidebar's top group), newest activity first. */
  'chats.pinned': { input: Empty, output: z.array(ConversationSummarySchema) },
  'chats.setPinned': { input: z.object({ id: IdSchema, pinned: z.boolean() }).strict(), output: ConversationSummarySchema },
  /** Archiving also unpins. */
  'chats.setArchived': { input: z.object({ id: IdSchema, archived: z.boolean() }).strict(), output: ConversationSummarySchema },
  /** The chat's own instructions, put in front of its first user turn; empty clears them. */
  'chats.setInstructions': { input: z.object({ id: IdSchema, instructions: z.string().max(INSTRUCTIONS_MAX_CHARS) }).strict(), output: ConversationSummarySchema },
  /** A new chat with the branch from the first message down to `messageId` and this chat's settings. */
  'chats.fork': { input: MessageRef, output: ConversationSummarySchema },
  /** The chat takes the preset's instructions and sampling (a copy: later preset edits leave it be). */
  'chats.applyPreset': { input: z.object({ id: IdSchema, presetId: IdSchema }).strict(), output: ConversationSummarySchema },

  'presets.list': { input: Empty, output: z.array(PresetSchema) },
  /** Without id: a new preset; with: overwrite it. Names are unique (store.conflict). */
  'presets.save': { input: PresetInputSchema, output: PresetSchema },
  'presets.delete': { input: ConversationRef, output: Ok },
  'chats.create': { input: Empty, output: ConversationSummarySchema },
  'chats.get': { input: ConversationRef, output: ConversationSummarySchema },
  /** An empty title goes back to the one derived from the first message. */
  'chats.rename': { input: z.object({ id: IdSchema, title: z.string().max(TITLE_MAX_CHARS * 4) }).strict(), output: ConversationSummarySchema },
  /** Soft delete: chats.restore undoes it. */
  'chats.delete': { input: ConversationRef, output: Ok },
  'chats.restore': { input: ConversationRef, output: ConversationSummarySchema },
  'chats.search': { input: SearchQuerySchema.strict(), output: z.array(SearchHitSchema) },
  /** The chat's own sampling (also on its summary as `sampling`); null: the app defaults. */
  'chats.getSampling': { input: ConversationRef, output: SamplingOverridesSchema.nullable() },
  /**
   * Changes only the fields named (null clears one back to the default); `sampling: null` resets
   * the chat to the defaults. Stored with the chat, in one transaction; announced as chats.changed.
   */
  'chats.setSampling': { input: z.object({ id: IdSchema, sampling: SamplingPatchSchema.nullable() }).strict(), output: ConversationSummarySchema },

  /** Keyset pages of the active branch, newest page first, items oldest first inside a page. */
  'messages.page': { input: PageRequestSchema.extend({ conversationId: IdSchema }).strict(), output: pageSchema(MessageSchema) },
  /** A message and its siblings (same parent), oldest first. */
  'messages.siblings': { input: z.object({ messageId: IdSchema }).strict(), output: z.array(MessageSchema) },
  /** Replace a message's text in place, images kept (correcting an answer). */
  'messages.editText': { input: z.object({ messageId: IdSchema, text: z.string().min(1).max(1_000_000) }).strict(), output: ConversationSummarySchema },
  /** Delete one message; what followed it moves up to its parent. */
  'messages.delete': { input: MessageRef, output: ConversationSummarySchema },
  /** ‹ n / N ›: show the sibling at `index`, following it to its newest leaf. */
  'messages.switchBranch': { input: z.object({ messageId: IdSchema, index: z.number().int().min(0) }).strict(), output: ConversationSummarySchema },
  /** Show the branch ending at `messageId` (a search hit jumps here). */
  'messages.selectLeaf': { input: z.object({ conversationId: IdSchema, messageId: IdSchema }).strict(), output: ConversationSummarySchema },

  /** Stops the chat's running answer (the text so far is kept, status 'stopped'). */
  'generation.stop': { input: z.object({ conversationId: IdSchema }).strict(), output: z.object({ stopped: z.boolean() }) },
  /**
   * The context meter: the exact prompt length of the branch ending at `leafId` (BOS, separators,
   * 1026 per image) and the loaded model's context size (null without a model). Images whose codes
   * are not cached yet are encoded first.
   */
  'generation.promptTokens': {
    input: z.object({ conversationId: IdSchema, leafId: IdSchema }).strict(),
    output: z.object({ promptTokens: z.number().int(), images: z.number().int(), contextSize: z.number().int().nullable() }),
  },

  /** Loads a model (unloading the current one); progress arrives as model.stateChanged events. */
  'model.load': { input: ModelLoadSettingsSchema.partial({ gpu: true, gpuLayers: true, contextSize: true }).strict(), output: EngineStatusSchema },
  'model.cancelLoad': { input: Empty, output: Ok },
  'model.unload': { input: Empty, output: EngineStatusSchema },
  'model.status': { input: Empty, output: EngineStatusSchema },
  /** The native file dialog (Electron only; the browser types a path): null when cancelled. */
  'model.pickFile': { input: Empty, output: z.object({ path: z.string().nullable() }) },

  /** Can images be attached now (VQ-GAN weights chosen)? Ask again on settings.changed. */
  'images.capability': { input: Empty, output: ImageCapabilitySchema },
  /** A stored image's bytes (base64) for showing it in a message. */
  'images.get': { input: z.object({ imageHash: ImageHashSchema }).strict(), output: z.object({ mime: z.string(), dataBase64: z.string() }) },
  /** The native file dialog for the VQ-GAN weights (Electron only): null when cancelled. */
  'images.pickWeightsFile': { input: Empty, output: z.object({ path: z.string().nullable() }) },

  /**
   * Import a lossless transcript (.json, see transcript.ts) or ChatGPT's conversations.json, all
   * or nothing; each new chat is announced as chats.changed 'created'. `handle`: the file picked in
   * transcripts.pickImportFile (Electron; main never takes a path); `text`: the file's content
   * (browser mode; larger files go through POST /api/transcripts/import).
   */
  'transcripts.import': {
    input: z.union([z.object({ handle: FileHandleSchema }).strict(), z.object({ text: z.string().min(1).max(TRANSCRIPT_TEXT_MAX_CHARS) }).strict()]),
    output: z.object({ format: z.enum(['transcript', 'chatgpt']), conversations: z.array(ConversationSummarySchema) }),
  },
  /** The native save dialog (Electron only; the browser downloads from POST /api/transcripts/export): null when cancelled. */
  'transcripts.pickExportPath': { input: z.object({ defaultName: z.string().min(1).max(255) }).strict(), output: z.object({ file: PickedFileSchema.nullable() }) },
  /** The native open dialog for an import (Electron only): null when cancelled. */
  'transcripts.pickImportFile': { input: Empty, output: z.object({ file: PickedFileSchema.nullable() }) },

  /** The model catalog (resources/catalog): what can be downloaded. */
  'models.catalog': { input: Empty, output: z.array(CatalogEntrySchema) },
  /** Installed models, downloads (also paused and failed ones) and whether a Hub token is stored. */
  'models.list': { input: Empty, output: ModelsSnapshotSchema },
  /** Queue a catalog download (one at a time); progress arrives as models.changed. The same id twice is one download. */
  'models.pull': { input: z.object({ id: z.string().min(1).max(100) }).strict(), output: DownloadStatusSchema },
  /** Stop a download and keep its partial file, also across restarts. */
  'models.pause': { input: z.object({ id: z.string().min(1).max(100) }).strict(), output: DownloadStatusSchema },
  'models.resume': { input: z.object({ id: z.string().min(1).max(100) }).strict(), output: DownloadStatusSchema },
  /** Stop a download and delete its partial file. */
  'models.cancel': { input: z.object({ id: z.string().min(1).max(100) }).strict(), output: Ok },
  /** Delete an installed model (models.inUse for the loaded model or the chosen weights). */
  'models.remove': { input: z.object({ id: z.string().min(1).max(100) }).strict(), output: z.object({ freedBytes: z.number().int().nonnegative() }) },
  /** Validate a local file, then link it in place or copy it into the models folder. */
  'models.import': {
    input: z.object({ path: z.string().min(1).max(4096), kind: ModelKindSchema.exclude(['imageHead']), mode: z.enum(['link', 'copy']) }).strict(),
    output: InstalledModelSchema,
  },
  /** Use an installed model: a GGUF is loaded, VQ-GAN weights become the image tokenizer. */
  'models.use': { input: z.object({ id: z.string().min(1).max(100) }).strict(), output: Ok },
  /** Does a catalog entry or installed GGUF fit this machine at `contextSize` (default: the setting)? */
  'models.fit': { input: z.object({ id: z.string().min(1).max(100), contextSize: z.number().int().min(64).max(1 << 20).optional() }).strict(), output: FitReportSchema },
  /** Show the models folder in the file manager (Electron only; the browser shows its path). */
  'models.openFolder': { input: Empty, output: Ok },
  /**
   * Write an image-capable copy of an installed Chameleon GGUF (image aliases, chameleon.md §6.4)
   * with Anole's image head from an installed head (`headId`), a file the user chose (`headPath`:
   * dialog or models folder), or neither (the model's own image rows, for image-trained fine-tunes).
   * Progress arrives as models.changed; the result is installed like a download.
   */
  'models.makeImageCapable': {
    input: z.object({ id: z.string().min(1).max(100), headId: z.string().min(1).max(100).optional(), headPath: z.string().min(1).max(4096).optional() }).strict(),
    output: TransformStatusSchema,
  },
  /** Stop a running transform (its partial file is deleted) or dismiss a failed one. */
  'models.cancelTransform': { input: z.object({ id: z.string().min(1).max(100) }).strict(), output: Ok },
  /**
   * Convert a Hugging Face Chameleon checkpoint folder (config.json, tokenizer, safetensors shards;
   * the dialog's or one in a models folder) to a GGUF, quantized by llama.cpp's quantizer, and install it.
   */
  'models.convertCheckpoint': { input: z.object({ path: z.string().min(1).max(4096), quant: ConvertQuantSchema }).strict(), output: TransformStatusSchema },
  /** The native folder dialog for a checkpoint (Electron only): null when cancelled. */
  'models.pickCheckpointFolder': { input: Empty, output: z.object({ path: z.string().nullable() }) },
  /** The native open dialog for Anole's head (Electron only): null when cancelled. */
  'models.pickHeadFile': { input: Empty, output: z.object({ path: z.string().nullable() }) },
  /** Store (or with null forget) the Hugging Face token for gated repos; it never comes back. */
  'models.setToken': { input: z.object({ token: z.string().min(1).max(400).nullable() }).strict(), output: z.object({ hasToken: z.boolean() }) },

  /** The local API server's last requests, newest first (browser mode; `available` false elsewhere). */
  'server.requests': { input: Empty, output: z.object({ available: z.boolean(), requests: z.array(RequestLogEntrySchema) }) },

  /** Remote engines (Settings → Engines) and which engine answers; keys never come back. */
  'engines.list': { input: Empty, output: EnginesSnapshotSchema },
  /** Ask a server what it serves without storing anything: remote.* errors, or its Chameleon model. */
  'engines.check': {
    // `id`: the engine being edited, whose stored key is used when the input leaves the key unchanged.
    input: RemoteEngineInputSchema.extend({ id: RemoteEngineIdSchema.optional() }).strict(),
    output: RemoteModelSchema,
  },
  /** Add a remote engine after checking it serves Chameleon (it does not become active). */
  'engines.add': { input: RemoteEngineInputSchema, output: EnginesSnapshotSchema },
  'engines.update': { input: z.object({ id: RemoteEngineIdSchema, engine: RemoteEngineInputSchema }).strict(), output: EnginesSnapshotSchema },
  'engines.remove': { input: z.object({ id: RemoteEngineIdSchema }).strict(), output: EnginesSnapshotSchema },
  /** Make an engine the one that answers ('local': this computer); a remote one is checked first. */
  'engines.use': { input: z.object({ id: EngineIdSchema }).strict(), output: EnginesSnapshotSchema },

  'settings.get': { input: Empty, output: SettingsSchema },
  'settings.set': { input: SettingsSchema.strict(), output: SettingsSchema },
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>;

// ── events: main → UI, past tense ─────────────────────────────────────────────────────────────

export const events = {
  'model.stateChanged': EngineStatusSchema,
  'chats.changed': z.object({
    reason: z.enum(['created', 'renamed', 'deleted', 'restored', 'messages', 'sampling', 'instructions', 'pinned', 'archived']),
    conversationId: IdSchema,
  }),
  'settings.changed': SettingsSchema,
  /** Installed models and downloads changed (progress a few times a second). */
  'models.changed': ModelsSnapshotSchema,
  /** The engines list, the active engine or its connection changed. */
  'engines.changed': EnginesSnapshotSchema,
} as const satisfies Record<string, z.ZodType>;

// ── streams: request → typed packets, one packet back (cancel) ────────────────────────────────

export const GenerationStatsSchema = z.object({
  stopReason: StopReasonSchema,
  usage: GenerationResultSchema.shape.usage,
  timings: GenerationResultSchema.shape.timings,
  seed: z.number().int(),
});
export type GenerationStats = z.infer<typeof GenerationStatsSchema>;

/**
 * One generation, in order: `imageProgress`* (codes-cache misses, before any row is written; a
 * refusal here ends with `error` and writes nothing), `started` (the rows it created), `promptProgress`*, `fragment`*
 * (deltas coalesced per ~16 ms frame), then exactly one of `success` (the stored message + stats;
 * also when cancelled: status 'stopped') or `error` (the stored message keeps the partial text).
 */
export const GenerationPacketSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), user: MessageSchema.optional(), assistant: MessageSchema }),
  z.object({ type: z.literal('promptProgress'), evaluated: z.number().int().nonnegative(), total: z.number().int().nonnegative() }),
  /** An image of the history being tokenized before the prompt is built (a codes-cache miss). */
  z.object({ type: z.literal('imageProgress'), imageHash: z.string(), stage: z.string(), done: z.number(), total: z.number() }),
  z.object({ type: z.literal('fragment'), text: z.string() }),
  /** The answer began an image (its `index` among the answer's images). */
  z.object({ type: z.literal('imageStarted'), index: z.number().int().nonnegative() }),
  /** A live preview of the image being drawn: a PNG of the grid so far (padded), `codes` of 1024 done. */
  z.object({ type: z.literal('imagePreview'), index: z.number().int().nonnegative(), codes: z.number().int().nonnegative(), dataBase64: z.string() }),
  /** The image is finished (or stopped: `partial`) and stored: the part it is in the message. */
  z.object({ type: z.literal('image'), index: z.number().int().nonnegative(), part: GeneratedImagePartSchema }),
  z.object({ type: z.literal('success'), message: MessageSchema, stats: GenerationStatsSchema }),
  z.object({ type: z.literal('error'), error: ErrorDataSchema, message: MessageSchema.optional() }),
]);
export type GenerationPacket = z.infer<typeof GenerationPacketSchema>;

/** Packets of transcripts.export. */
export const ExportPacketSchema = z.discriminatedUnion('type', [
  ExportProgressSchema.extend({ type: z.literal('progress') }),
  z.object({ type: z.literal('success'), path: z.string(), bytes: z.number().int().nonnegative(), progress: ExportProgressSchema }),
  z.object({ type: z.literal('error'), error: ErrorDataSchema }),
]);
export type ExportPacket = z.infer<typeof ExportPacketSchema>;

/** The one packet a client may send into a stream. */
export const CancelPacketSchema = z.object({ type: z.literal('cancel') });

/**
 * Attaching one image: `progress`* (load: the tokenizer weights, once; preprocess; encode;
 * quantize), then `success` with the part to put in the message (stored and its codes cached, so
 * sending is a cache hit) or `error` (image.corrupt, image.unsupported, image.empty,
 * image.tooLarge, image.tokenizerMissing, vqgan.cancelled after a cancel packet, vqgan.*).
 */
export const ImageAttachPacketSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), stage: z.string(), done: z.number(), total: z.number() }),
  z.object({ type: z.literal('success'), part: ImagePartSchema, cached: z.boolean() }),
  z.object({ type: z.literal('error'), error: ErrorDataSchema }),
]);
export type ImageAttachPacket = z.infer<typeof ImageAttachPacketSchema>;

export const streams = {
  'images.attach': {
    input: z.object({ dataBase64: ImageDataSchema, fileName: z.string().max(1000).optional() }).strict(),
    packet: ImageAttachPacketSchema,
  },
  /** A user message under `parentId` (null: the first message), then the answer. */
  'messages.send': {
    input: z.object({ conversationId: IdSchema, parentId: IdSchema.nullable(), parts: UserMessagePartsSchema, sampling: SamplingOverridesSchema.optional(), ...ANSWER_MODE }).strict(),
    packet: GenerationPacketSchema,
  },
  /** Another answer to the same user message: a sibling of `messageId` (an assistant message). */
  'messages.regenerate': {
    input: z.object({ messageId: IdSchema, sampling: SamplingOverridesSchema.optional(), ...ANSWER_MODE }).strict(),
    packet: GenerationPacketSchema,
  },
  /** More of answer `messageId` (cut by max tokens): the same message grows; `started` carries it. */
  'messages.continue': {
    input: z.object({ messageId: IdSchema, sampling: SamplingOverridesSchema.optional() }).strict(),
    packet: GenerationPacketSchema,
  },
  /** Edit-and-resend: a sibling of user message `messageId` with new parts, then its answer. */
  'messages.edit': {
    input: z.object({ messageId: IdSchema, parts: UserMessagePartsSchema, sampling: SamplingOverridesSchema.optional(), ...ANSWER_MODE }).strict(),
    packet: GenerationPacketSchema,
  },
  /**
   * Write an export to the file picked in transcripts.pickExportPath (`handle`, used once). Packets:
   * `progress`* after each page of messages, then exactly one of `success` or `error`
   * (export.cancelled after a cancel packet; the partial file is removed).
   */
  'transcripts.export': {
    input: ExportRequestSchema.extend({ handle: FileHandleSchema }).strict(),
    packet: ExportPacketSchema,
  },
} as const satisfies Record<string, { input: z.ZodType; packet: z.ZodType }>;

// ── derived types ─────────────────────────────────────────────────────────────────────────────

export type CommandName = keyof typeof commands;
export type EventName = keyof typeof events;
export type StreamName = keyof typeof streams;
/** What a caller passes (defaults may be left out). */
export type CommandInput<K extends CommandName> = z.input<(typeof commands)[K]['input']>;
/** What a handler receives (parsed, defaults applied). */
export type CommandArgs<K extends CommandName> = z.output<(typeof commands)[K]['input']>;
export type CommandOutput<K extends CommandName> = z.output<(typeof commands)[K]['output']>;
export type EventPayload<K extends EventName> = z.output<(typeof events)[K]>;
export type StreamInput<K extends StreamName> = z.input<(typeof streams)[K]['input']>;
export type StreamArgs<K extends StreamName> = z.output<(typeof streams)[K]['input']>;
export type StreamPacket<K extends StreamName> = z.output<(typeof streams)[K]['packet']>;

export const COMMAND_NAMES = Object.keys(commands) as CommandName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];
export const STREAM_NAMES = Object.keys(streams) as StreamName[];

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.hasOwn(commands, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}
export function isStreamName(name: unknown): name is StreamName {
  return typeof name === 'string' && Object.hasOwn(streams, name);
}

// ── what main implements ──────────────────────────────────────────────────────────────────────

/** The open side of a stream, as a handler sees it. */
export interface StreamSink<P> {
  send(packet: P): void;
  /** Aborted when the client sends `cancel` or goes away. */
  readonly signal: AbortSignal;
}

export type AnyEvent = { [K in EventName]: { name: K; payload: EventPayload<K> } }[EventName];

/**
 * Main's implementation of the whole API. Inputs arrive parsed; a handler throws AppError for a
 * refusal. A stream handler resolves when its last packet is sent.
 */
export interface Handlers {
  commands: { [K in CommandName]: (args: CommandArgs<K>) => Promise<CommandOutput<K>> | CommandOutput<K> };
  streams: { [K in StreamName]: (args: StreamArgs<K>, sink: StreamSink<StreamPacket<K>>) => Promise<void> };
  /** Every event main publishes; returns the unsubscribe function. */
  subscribe(listener: (event: AnyEvent) => void): () => void;
}
