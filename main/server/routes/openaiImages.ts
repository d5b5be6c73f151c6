// POST /v1/images/generations in OpenAI's shape, for image-only answers: `prompt`, `n` images
// (each its own generation; with `seed`, image i uses seed + i, so a request is reproducible),
// `response_format` b64_json only (the app is offline and serves no URLs), `size` 512x512 only
// (Chameleon's one image size). Each image is one user turn "prompt" answered in image mode.
import { z } from 'zod';
import { AppError } from '../../contract/errors.ts';
import { ImageSamplingSchema } from '../../contract/engine.ts';
import type { RequestContext } from '../httpServer.ts';
import { sendJson } from '../httpErrors.ts';
import { AnswerParts } from '../openai/imageOutput.ts';
import { drawingWeights, type OpenAiRoutesOptions } from './openai.ts';

export const IMAGES_MAX_N = 4;

const ImagesRequestSchema = z.object({
  prompt: z.string().min(1).max(32_000),
  model: z.string().optional(),
  n: z.number().int().min(1).max(IMAGES_MAX_N).nullish(),
  size: z.literal('512x512', { message: 'Chameleon draws 512x512 images only' }).nullish(),
  response_format: z.literal('b64_json', { message: 'only b64_json: this server works offline and serves no image URLs' }).nullish(),
  quality: z.string().nullish(),
  style: z.string().nullish(),
  user: z.string().nullish(),
  // Extensions: reproducible images and the reference's sampling knobs.
  seed: z.number().int().nullish(),
  guidance_scale_text: ImageSamplingSchema.shape.guidanceText.nullish(),
  guidance_scale_image: ImageSamplingSchema.shape.guidanceImage.nullish(),
  temperature: ImageSamplingSchema.shape.temperature.nullish(),
  top_p: ImageSamplingSchema.shape.topP.nullish(),
});

function parse(body: unknown): z.infer<typeof ImagesRequestSchema> {
  const parsed = ImagesRequestSchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = issue.path.map(String).join('.');
  throw new AppError('api.badRequest', `Invalid request: ${param ? `${param}: ` : ''}${issue.message}`, { param: param || null });
}

export async function imageGenerations(ctx: RequestContext, options: OpenAiRoutesOptions): Promise<void> {
  const request = parse(await ctx.readJson());
  await options.model.settled();
  const vqganWeightsPath = drawingWeights(options);
  const created = Math.floor(Date.now() / 1000);
  const imageSampling = {
    ...(request.guidance_scale_text == null ? {} : { guidanceText: request.guidance_scale_text }),
    ...(request.guidance_scale_image == null ? {} : { guidanceImage: request.guidance_scale_image }),
    ...(request.temperature == null ? {} : { temperature: request.temperature }),
    ...(request.top_p == null ? {} : { topP: request.top_p }),
  };
  const data: Array<{ b64_json: string; revised_prompt: string; seed: number }> = [];
  for (let i = 0; i < (request.n ?? 1); i++) {
    const answer = new AnswerParts(options.imageOutput);
    const seed = request.seed == null ? undefined : (((request.seed + i) % 2 ** 32) + 2 ** 32) % 2 ** 32;
    const result = await options.model.generate(
      {
        sessionId: `images-${created}-${i}`,
        turns: [{ role: 'user', segments: [{ type: 'text', text: request.prompt }] }],
        sampling: { ...options.sampling(), ...(seed === undefined ? {} : { seed }) },
        mode: 'image',
        imageSampling,
        vqganWeightsPath,
      },
      { signal: ctx.signal, onEvent: (event) => void answer.push(event) },
    );
    await answer.settled();
    if (result.stopReason === 'aborted') return; // the client is gone
    if (result.stopReason === 'crashed') {
      const error = result.error ?? { code: 'engine.crashed', message: 'The inference process stopped unexpectedly.' };
      throw new AppError(error.code, error.message, error.details);
    }
    const image = answer.parts.find((p) => p.type === 'image_url');
    if (!image || image.type !== 'image_url') throw new AppError('internal', 'The generation ended without an image.');
    data.push({ b64_json: image.image_url.url.slice(image.image_url.url.indexOf(',') + 1), revised_prompt: request.prompt, seed: result.seed });
  }
  sendJson(ctx.res, 200, { created, data });
}
