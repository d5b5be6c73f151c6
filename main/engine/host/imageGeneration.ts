// Image and interleaved answers on a model with image aliases: the reference state machine of
// chameleon.md §6.3 on node-llama-cpp's public API (§6.4). Runs inside the host process only.
//   text state  — llama.cpp samples text, EOS or EOT ends; BOI allowed (interleaved) while an image
//                 still fits; sampling BOI enters the image state.
//   image state — exactly 1024 steps; each step evaluates the CFG streams (full, image-conditioned,
//                 unconditioned) in one batched decode, one token per stream with an output (the
//                 §9 abort otherwise), reads each stream's exact image-range distribution through
//                 the +1000 alias bias, mixes, samples in our code (seeded), feeds the original id
//                 4 + c to every stream; then EOI is forced and text resumes (image mode: done).
import type { LlamaContextSequence, Token } from 'node-llama-cpp';
import {
  BOI_ID,
  BOS_ID,
  EOI_ID,
  EOS_ID,
  EOT_ID,
  IMAGE_ALIAS_FIRST_ID,
  IMAGE_CODEBOOK_SIZE,
  IMAGE_CODES_PER_IMAGE,
  TOKENS_PER_IMAGE,
  codeToTokenId,
} from '../../contract/chameleon.ts';
import { AppError } from '../../contract/errors.ts';
import type { GenerateRequest, GenerationEvent, GenerationResult, StopReason } from '../../contract/engine.ts';
import { codeLogProbs, mixGuidance, padCodes, sampleLogits, SeededRng } from '../imageSampler.ts';
import { IncrementalDecoder } from '../textStream.ts';
import { evaluateWithOutput, prefillPrompt, promptTokensFor, PROMPT_CHUNK_TOKENS } from './generation.ts';
import type { LoadedModel } from './llamaRuntime.ts';
import type { AnswerCache } from './answerCache.ts';
import { PreviewScheduler } from './previewScheduler.ts';

/** Codes of one grid row: a preview is offered after each. */
const GRID_ROW = 32;
const REPEAT_PENALTY_WINDOW = 64;

/** Decodes codes to a PNG (the host's VQ-GAN); absent: images come back as codes only. */
export interface PngDecoder {
  decode(codes: Int32Array): Promise<Uint8Array>;
  /** The last decode's duration (ms), pricing the first preview of the next image; 0: none yet. */
  lastMs(): number;
}

/** The image-conditioned stream's prefix: BOS and every image block of `tokens`, in order (§6.3). */
export function imageConditionedPrefix(tokens: readonly number[]): number[] {
  const out = [BOS_ID];
  let inImage = false;
  for (const t of tokens) {
    if (t === BOI_ID) inImage = true;
    if (inImage) out.push(t);
    if (t === EOI_ID) inImage = false;
  }
  return out;
}

/** Erases `sequence` and feeds `tokens` but the last, in chunks that each end with an output. */
async function refill(sequence: LlamaContextSequence, tokens: readonly number[], chunk: number): Promise<void> {
  if (sequence.nextTokenIndex > 0) await sequence.eraseContextTokenRanges([{ start: 0, end: sequence.nextTokenIndex }]);
  for (let i = 0; i < tokens.length - 1; i += chunk) await evaluateWithOutput(sequence, tokens.slice(i, Math.min(i + chunk, tokens.length - 1)) as Token[]);
}

export async function generateWithImages(
  loaded: LoadedModel,
  request: GenerateRequest,
  signal: AbortSignal,
  emit: (event: GenerationEvent) => void,
  answers: AnswerCache,
  decodePng?: PngDecoder,
): Promise<GenerationResult> {
  const started = performance.now();
  const images = loaded.images;
  if (!images) throw new AppError('model.noImageOutput', 'This model cannot draw: its GGUF has no image aliases. Make it image-capable in the model settings first.');
  const { sequence, context, model } = loaded;
  const sampling = request.sampling;
  const imageOnly = request.mode === 'image';
  const basePrompt = promptTokensFor(loaded, request, answers);
  // The reference's text-to-image appends BOI to the prompt (text2image.py).
  const prompt = imageOnly ? [...basePrompt, BOI_ID] : basePrompt;
  const contextSize = context.contextSize;
  const room = contextSize - basePrompt.length;
  if (imageOnly ? room < TOKENS_PER_IMAGE : room <= 0) {
    throw new AppError(
      'engine.contextOverflow',
      imageOnly
        ? `An image needs ${TOKENS_PER_IMAGE} tokens; the conversation is ${basePrompt.length} tokens long and the context holds ${contextSize}, leaving ${Math.max(0, room)}.`
        : `The conversation is ${basePrompt.length} tokens long; the context holds ${contextSize}. Start a new chat or shorten it.`,
      { promptTokens: basePrompt.length, contextSize, imageTokens: TOKENS_PER_IMAGE },
    );
  }
  const seed = sampling.seed ?? Math.floor(Math.random() * 0xffff_ffff);
  const rng = new SeededRng(seed);
  const chunk = Math.min(context.batchSize, PROMPT_CHUNK_TOKENS);
  // maxTokens bounds the answer's text; an image is bounded by the context alone (it always fits
  // whole once started, since BOI is allowed only while it does).
  const maxText = sampling.maxTokens;
  let textTokens = 0;

  const history: number[] = [...prompt];
  const generated: number[] = [];
  const doneImages: NonNullable<GenerationResult['images']> = [];
  let text = '';
  let stopReason: StopReason = 'maxTokens';
  let firstTokenAt: number | null = null;
  let promptDoneAt: number | null = null;
  const { toEvaluate, tail, aborted } = await prefillPrompt(loaded, prompt, signal, emit);
  const result = (): GenerationResult => {
    const end = performance.now();
    const first = firstTokenAt ?? end;
    return {
      text,
      stopReason,
      usage: { promptTokens: prompt.length, evaluatedPromptTokens: toEvaluate.length, completionTokens: generated.length },
      timings: {
        promptMs: (promptDoneAt ?? end) - started,
        firstTokenMs: first - started,
        totalMs: end - started,
        tokensPerSecond: generated.length > 1 ? ((generated.length - 1) * 1000) / Math.max(1e-6, end - first) : 0,
      },
      seed,
      images: doneImages,
    };
  };
  if (aborted) {
    stopReason = 'aborted';
    return result();
  }
  const markFirst = (): void => {
    if (firstTokenAt !== null) return;
    firstTokenAt = performance.now();
    promptDoneAt = firstTokenAt;
    emit({ type: 'promptProgress', evaluated: toEvaluate.length, total: toEvaluate.length });
  };

  let pendingAfterImage: number[] = [];
  /** One image: the CFG streams from their prefixes, 1024 guided steps. `pending` ends with BOI. */
  const drawImage = async (pending: number[]): Promise<boolean> => {
    const index = doneImages.length;
    emit({ type: 'imageStarted', index });
    const [imageSeq, uncondSeq] = images.guidance;
    const imagePrefix = imageConditionedPrefix(history);
    const uncond = [BOS_ID, BOI_ID];
    // Without earlier images the image-conditioned stream is the unconditioned one: evaluate it once.
    const distinct = imagePrefix.length > uncond.length;
    const scales = { text: request.imageSampling.guidanceText, image: request.imageSampling.guidanceImage };
    // Both scales 1 make the mix the conditional stream exactly: the other streams are skipped.
    const guided = scales.text !== 1 || scales.image !== 1;
    const streams: Array<{ seq: LlamaContextSequence; pending: number[] }> = [{ seq: sequence, pending }];
    if (guided) {
      await refill(uncondSeq, uncond, chunk);
      streams.push({ seq: uncondSeq, pending: [BOI_ID] });
    }
    if (guided && distinct) {
      await refill(imageSeq, imagePrefix, chunk);
      streams.push({ seq: imageSeq, pending: [BOI_ID] });
    }
    // Every stream gets exactly one token per step (defect 1 of §9 on unequal batches): feed the
    // full stream's extra pending tokens alone first.
    if (pending.length > 1) {
      for (let i = 0; i < pending.length - 1; i += chunk) await evaluateWithOutput(sequence, pending.slice(i, Math.min(i + chunk, pending.length - 1)) as Token[]);
      streams[0]!.pending = [pending.at(-1)!];
    }
    const probe = { tokenBias: images.imageProbeBias, topK: IMAGE_CODEBOOK_SIZE, topP: 1, minP: 0, temperature: 1, seed: 0 };
    const lp = streams.map(() => new Float64Array(IMAGE_CODEBOOK_SIZE));
    const mixed = new Float64Array(IMAGE_CODEBOOK_SIZE);
    const codes: number[] = [];
    const previews = decodePng
      ? new PreviewScheduler<number[]>({
          expectedMs: decodePng.lastMs(),
          decode: async (snapshot) => {
            const png = await decodePng.decode(padCodes(snapshot, IMAGE_CODES_PER_IMAGE));
            emit({ type: 'imagePreview', index, codes: snapshot.length, png });
          },
        })
      : undefined;
    let stopped = false;
    const stepsStart = performance.now();
    while (codes.length < IMAGE_CODES_PER_IMAGE) {
      // "nextCycle" batching puts these concurrent calls into one decode of one token per stream.
      const outs = await Promise.all(
        streams.map(({ seq, pending: p }) => seq.controlledEvaluate([[p[0] as Token, { generateNext: { probabilities: true, options: probe } }]])),
      );
      outs.forEach((out, i) => codeLogProbs(out[0]?.next.probabilities ?? new Map(), IMAGE_ALIAS_FIRST_ID, lp[i]));
      const full = lp[0]!;
      const uncondLp = lp[1];
      const logits = uncondLp ? mixGuidance(full, lp[2] ?? uncondLp, uncondLp, scales, mixed) : full;
      const code = sampleLogits(logits, request.imageSampling.temperature, request.imageSampling.topP, rng);
      markFirst();
      codes.push(code);
      const id = codeToTokenId(code);
      generated.push(id);
      history.push(id);
      for (const s of streams) s.pending = [id];
      if (codes.length % GRID_ROW === 0 && codes.length < IMAGE_CODES_PER_IMAGE) previews?.offer([...codes]);
      if (signal.aborted) {
        stopped = true;
        break;
      }
    }
    const steps = performance.now() - stepsStart;
    await previews?.settle();
    const partial = codes.length < IMAGE_CODES_PER_IMAGE;
    if (codes.length > 0) {
      const decodeStart = performance.now();
      const png = decodePng ? await decodePng.decode(padCodes(codes, IMAGE_CODES_PER_IMAGE)) : undefined;
      const ms = { steps, previews: previews?.spentMs ?? 0, previewCount: previews?.decodes ?? 0, finalDecode: png ? performance.now() - decodeStart : 0 };
      doneImages.push({ codes, partial, ms, streams: streams.length });
      emit({ type: 'image', index, codes, partial, ...(png ? { png } : {}) });
    }
    // The full stream holds the prompt … code₁₀₂₂: the last code is fed together with the forced
    // EOI by the text state that follows (image mode stops here).
    pendingAfterImage = partial ? [] : [codeToTokenId(codes.at(-1)!)];
    return !stopped;
  };

  if (imageOnly) {
    const ok = await drawImage(tail);
    if (ok) {
      generated.push(EOI_ID);
      stopReason = 'eos';
    } else stopReason = 'aborted';
    return result();
  }

  // Interleaved: text sampled by llama.cpp one token at a time (a fresh seed per step from ours).
  const decoder = new IncrementalDecoder((tokens) => model.detokenize(tokens as Token[]));
  const push = (delta: string): void => {
    if (delta === '') return;
    text += delta;
    emit({ type: 'delta', text: delta });
  };
  const penaltyWindow: number[] = prompt.slice(-REPEAT_PENALTY_WINDOW);
  let pending: number[] = tail;
  while (textTokens < maxText && sequence.nextTokenIndex + pending.length < contextSize) {
    const imageFits = sequence.nextTokenIndex + pending.length + TOKENS_PER_IMAGE <= contextSize;
    const options = {
      temperature: sampling.temperature,
      topP: sampling.topP,
      topK: sampling.topK,
      minP: 0,
      seed: Math.floor(rng.next() * 0xffff_ffff),
      tokenBias: imageFits ? images.textOrImageBias : loaded.textOnlyBias,
      ...(sampling.repeatPenalty > 1 ? { repeatPenalty: { punishTokens: () => penaltyWindow as Token[], penalty: sampling.repeatPenalty, maxPunishTokens: REPEAT_PENALTY_WINDOW } } : {}),
    };
    const input = pending.map((t, i) => (i === pending.length - 1 ? ([t as Token, { generateNext: { token: true, options } }] as const) : (t as Token)));
    const out = await sequence.controlledEvaluate(input as never);
    markFirst();
    const token = out.at(-1)?.next.token;
    if (token === undefined || token === null || token === EOS_ID || model.isEogToken(token)) {
      stopReason = 'eos';
      break;
    }
    if (token === EOT_ID) {
      stopReason = 'endOfTurn';
      break;
    }
    generated.push(token);
    history.push(token);
    if (token === BOI_ID) {
      push(decoder.flush());
      if (!(await drawImage([BOI_ID]))) {
        stopReason = 'aborted';
        break;
      }
      // <eoss> is forced after the 1024th code (§6.3).
      generated.push(EOI_ID);
      history.push(EOI_ID);
      pending = [...pendingAfterImage, EOI_ID];
      continue;
    }
    textTokens++;
    penaltyWindow.push(token);
    if (penaltyWindow.length > REPEAT_PENALTY_WINDOW) penaltyWindow.shift();
    push(decoder.push(token));
    pending = [token];
    if (signal.aborted) {
      stopReason = 'aborted';
      break;
    }
  }
  push(decoder.flush());
  return result();
}
