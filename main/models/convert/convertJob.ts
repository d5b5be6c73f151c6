// "Convert a checkpoint" as a models job: an HF Chameleon checkpoint folder → a GGUF in the
// models folder (convertHfToGguf), then, unless F16 was asked for, llama.cpp's own quantizer
// (quantizeGgufFile) to the chosen type; the unquantized intermediate is deleted afterwards.
import { createHash } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { AppError } from '../../contract/errors.ts';
import type { ConvertQuant, InstalledModel } from '../../contract/models.ts';
import { quantizeGgufFile } from '../../images/vqgan/nativeAddon.ts';
import { assertDiskSpace } from '../diskSpace.ts';
import { convertHfToGguf } from './convertHfToGguf.ts';

/** llama.h's LLAMA_FTYPE_MOSTLY_* for each choice. */
const LLAMA_FTYPE: Record<Exclude<ConvertQuant, 'F16'>, number> = { Q8_0: 7, Q6_K: 18, Q5_K_M: 17, Q4_K_M: 15 };
/** Output bytes per input byte of an f16/bf16 GGUF, with room to spare (Q8_0 ≈ 0.53). */
const QUANT_RATIO = 0.6;

export function convertedId(checkpointDir: string, quant: ConvertQuant): string {
  const hash = createHash('sha256').update(checkpointDir).digest('hex').slice(0, 10);
  return `converted-${hash}-${quant.toLowerCase()}`;
}

export interface ConvertJobContext {
  /** the job's own folder in the models folder */
  dir: string;
  signal: AbortSignal;
  onProgress(done: number, total: number): void;
  /** the conversion is written; llama.cpp's quantizer (no progress, no cancel) runs now */
  onQuantizing(): void;
}

export async function runConvertJob(checkpointDir: string, quant: ConvertQuant, id: string, ctx: ConvertJobContext): Promise<InstalledModel> {
  const name = basename(checkpointDir);
  const converted = join(ctx.dir, `${name}.${quant === 'F16' ? 'f16' : 'unquantized'}.gguf`);
  await convertHfToGguf({ dir: checkpointDir, target: converted, signal: ctx.signal, onProgress: ctx.onProgress });
  let path = converted;
  if (quant !== 'F16') {
    path = join(ctx.dir, `${name}.${quant}.gguf`);
    try {
      await assertDiskSpace(ctx.dir, Math.ceil((await stat(converted)).size * QUANT_RATIO), 'the quantized model');
      ctx.onQuantizing();
      await quantizeGgufFile(converted, path, LLAMA_FTYPE[quant]);
      if (ctx.signal.aborted) throw new AppError('models.cancelled', 'The conversion was cancelled; nothing was kept.');
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    } finally {
      await rm(converted, { force: true });
    }
  }
  return { id, name, kind: 'gguf', path, bytes: (await stat(path)).size, quant, enables: ['text'], linked: false, addedAt: Date.now() };
}
