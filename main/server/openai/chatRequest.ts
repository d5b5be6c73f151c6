// The body of POST /v1/chat/completions: OpenAI's request shape, validated with zod, and its
// translation into the engine's GenerateRequest parts (turns and sampling).
//
// How OpenAI messages map onto Chameleon's turns (see main/engine/promptBuilder.ts for the tokens):
// - Chameleon has no system role. A `system` (or `developer`) message's text is prepended to the
//   NEXT user message, separated by a blank line, so the usual leading system prompt opens the
//   first user turn: `BOS system\n\nuser₁ EOT …`. A system message with no user message after it
//   is a bad request.
// - Consecutive messages of the same role are merged into one turn, separated by a blank line.
// - The last message must be a user message: the engine answers a user turn.
// - Content may be a string or an array of parts; text parts are concatenated in order and
//   `image_url` parts become image segments through an ImageInput (the server plugs in
//   serviceImageInput: data URLs only, stored and encoded through the chat app's image path).
//   An assistant message may carry image_url parts too: an image this server generated comes back
//   with its codes from the codes cache (it was stored with them), so a follow-up never re-encodes.
// - `mode` (an extension, like top_k): "text" (default), "image" or "interleaved" answers, with
//   `image_sampling` for the CFG scales and the image temperature/top-p.
import { z } from 'zod';
import { AppError } from '../../contract/errors.ts';
import { GenerationModeSchema, ImageSamplingSchema, type ChatTurn, type DefaultSampling, type GenerationMode, type ImageSamplingInput, type OutputFormat, type PromptSegment, type SamplingSettingsInput } from '../../contract/engine.ts';
import { instructionsSegment } from '../../engine/promptBuilder.ts';

const TextPartSchema = z.object({ type: z.literal('text'), text: z.string() });
const ImageUrlPartSchema = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).optional() }),
});
const UserContentSchema = z.union([z.string(), z.array(z.discriminatedUnion('type', [TextPartSchema, ImageUrlPartSchema])).min(1)]);
const TextContentSchema = z.union([z.string(), z.array(TextPartSchema).min(1)]);

const MessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: TextContentSchema, name: z.string().optional() }),
  z.object({ role: z.literal('developer'), content: TextContentSchema, name: z.string().optional() }),
  z.object({ role: z.literal('user'), content: UserContentSchema, name: z.string().optional() }),
  z.object({ role: z.literal('assistant'), content: UserContentSchema, name: z.string().optional() }),
]);
export type ChatMessage = z.infer<typeof MessageSchema>;

const StopSchema = z.union([z.string().min(1), z.array(z.string().min(1)).max(16)]);

export const ChatCompletionRequestSchema = z.object({
  /** Accepted and ignored: the server serves the one model it loaded (answers name it). */
  model: z.string().optional(),
  messages: z.array(MessageSchema).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  seed: z.number().int().nullish(),
  stop: StopSchema.nullish(),
  n: z.literal(1, { message: 'only n = 1 is supported' }).nullish(),
  // Extensions that llama.cpp's and vLLM's servers accept too; Chameleon's reference sampler uses both.
  top_k: z.number().int().min(0).nullish(),
  repetition_penalty: z.number().min(1).max(10).nullish(),
  /** llama.cpp's extension: drop tokens below this fraction of the top one's probability. */
  min_p: z.number().min(0).max(1).nullish(),
  // Parameters that change what the client gets and that this server cannot honour are refused
  // (400 naming the param), never silently ignored: a client asking for a tool call would
  // otherwise take free text for an answer.
  tools: z.array(z.unknown()).max(0, { message: 'tools are not supported: Chameleon has no tool calling' }).nullish(),
  tool_choice: z.literal('none', { message: 'tool_choice is not supported: Chameleon has no tool calling' }).nullish(),
  functions: z.array(z.unknown()).max(0, { message: 'functions are not supported: Chameleon has no function calling' }).nullish(),
  function_call: z.literal('none', { message: 'function_call is not supported: Chameleon has no function calling' }).nullish(),
  // JSON output is held to a grammar while it is sampled (node-llama-cpp's GBNF from the schema).
  response_format: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.object({ name: z.string().max(64), description: z.string().optional(), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }),
      }),
    ])
    .nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  mode: GenerationModeSchema.nullish(),
  image_sampling: z
    .object({
      guidance_scale_text: ImageSamplingSchema.shape.guidanceText.nullish(),
      guidance_scale_image: ImageSamplingSchema.shape.guidanceImage.nullish(),
      temperature: ImageSamplingSchema.shape.temperature.nullish(),
      top_p: ImageSamplingSchema.shape.topP.nullish(),
    })
    .nullish(),
}).refine((r) => !r.top_logprobs || r.logprobs === true, { message: 'top_logprobs needs logprobs: true', path: ['top_logprobs'] });
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

/** Parses the body; the first problem becomes api.badRequest with OpenAI's `param` (e.g. `messages[0].content`). */
export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  const parsed = ChatCompletionRequestSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = formatPath(issue.path);
  throw new AppError('api.badRequest', param ? `Invalid request: ${param}: ${issue.message}` : `Invalid request: ${issue.message}`, {
    param: param || null,
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

/** Turns an image_url part into a prompt segment (see imageInput.ts for the server's). */
export type ImageInput = (url: string, param: string) => Promise<PromptSegment>;

export const imageInputUnavailable: ImageInput = (_url, param) =>
  Promise.reject(
    new AppError('image.inputUnavailable', 'Image input is not available here.', {
      param,
    }),
  );

export async function messagesToTurns(messages: readonly ChatMessage[], imageInput: ImageInput = imageInputUnavailable): Promise<ChatTurn[]> {
  const turns: ChatTurn[] = [];
  let pendingSystem: string[] = [];
  for (const [i, message] of messages.entries()) {
    if (message.role === 'system' || message.role === 'developer') {
      pendingSystem.push(textOf(message.content));
      continue;
    }
    const segments: PromptSegment[] = [];
    if (message.role === 'user' || Array.isArray(message.content)) {
      if (message.role === 'user') {
        const instructions = instructionsSegment(pendingSystem);
        if (instructions) segments.push(instructions);
        pendingSystem = [];
      }
      if (typeof message.content === 'string') segments.push({ type: 'text', text: message.content });
      else {
        for (const [j, part] of message.content.entries()) {
          if (part.type === 'text') segments.push({ type: 'text', text: part.text });
          else segments.push(await imageInput(part.image_url.url, `messages[${i}].content[${j}].image_url`));
        }
      }
    } else {
      segments.push({ type: 'text', text: textOf(message.content) });
    }
    const last = turns.at(-1);
    if (last && last.role === message.role) {
      // One by one: spreading a message's parts (as many as the body holds) can overflow the stack.
      last.segments.push({ type: 'text', text: '\n\n' });
      for (const s of segments) last.segments.push(s);
    } else turns.push({ role: message.role, segments });
  }
  if (pendingSystem.length > 0 || turns.at(-1)?.role !== 'user') {
    throw new AppError('api.badRequest', 'The conversation must end with a user message.', { param: 'messages' });
  }
  return turns.map((t) => ({ role: t.role, segments: mergeText(t.segments) }));
}

function textOf(content: string | { text: string }[]): string {
  return typeof content === 'string' ? content : content.map((p) => p.text).join('');
}

/** Adjacent text segments become one, so text is tokenized as the user would read it. */
function mergeText(segments: PromptSegment[]): PromptSegment[] {
  const out: PromptSegment[] = [];
  for (const s of segments) {
    const prev = out.at(-1);
    if (s.type === 'text' && prev?.type === 'text') out[out.length - 1] = { type: 'text', text: prev.text + s.text };
    else out.push(s);
  }
  return out;
}

/** The answer's mode and image sampling (our extension); absent: a text answer. */
export function toAnswerMode(request: ChatCompletionRequest): { mode?: GenerationMode; imageSampling?: ImageSamplingInput } {
  const s = request.image_sampling;
  const imageSampling: ImageSamplingInput = {
    ...(s?.guidance_scale_text == null ? {} : { guidanceText: s.guidance_scale_text }),
    ...(s?.guidance_scale_image == null ? {} : { guidanceImage: s.guidance_scale_image }),
    ...(s?.temperature == null ? {} : { temperature: s.temperature }),
    ...(s?.top_p == null ? {} : { topP: s.top_p }),
  };
  return { ...(request.mode ? { mode: request.mode } : {}), ...(Object.keys(imageSampling).length > 0 ? { imageSampling } : {}) };
}

/** Request parameters over the user's default sampling settings. */
/** response_format and logprobs → the engine request's format and logprobs. */
export function toOutputOptions(request: ChatCompletionRequest): { format?: OutputFormat; logprobs?: number } {
  const f = request.response_format;
  const format: OutputFormat | undefined =
    f?.type === 'json_object' ? { type: 'jsonObject' } : f?.type === 'json_schema' ? (f.json_schema.schema ? { type: 'jsonSchema', schema: f.json_schema.schema } : { type: 'jsonObject' }) : undefined;
  return { ...(format ? { format } : {}), ...(request.logprobs ? { logprobs: request.top_logprobs ?? 0 } : {}) };
}

export function toSampling(request: ChatCompletionRequest, defaults: DefaultSampling): SamplingSettingsInput {
  const stop = request.stop == null ? undefined : typeof request.stop === 'string' ? [request.stop] : request.stop;
  return {
    temperature: request.temperature ?? defaults.temperature,
    // top_p 0 means "only the most likely token"; the sampler needs a positive value for that.
    topP: request.top_p === 0 ? Number.MIN_VALUE : (request.top_p ?? defaults.topP),
    topK: request.top_k ?? defaults.topK,
    repeatPenalty: request.repetition_penalty ?? defaults.repeatPenalty,
    ...(request.min_p == null ? {} : { minP: request.min_p }),
    maxTokens: request.max_completion_tokens ?? request.max_tokens ?? defaults.maxTokens,
    // OpenAI seeds are any integer; the engine's are 32-bit unsigned.
    ...(request.seed == null ? {} : { seed: ((request.seed % 2 ** 32) + 2 ** 32) % 2 ** 32 }),
    ...(stop && stop.length > 0 ? { stop } : {}),
  };
}
