// The Models screen's fit check: does a GGUF run on this machine at a context size, and how many
// layers go to the GPU? The numbers are node-llama-cpp's own GGUF insights (tensor sizes per
// layer, KV cache and compute buffers), read from the file's header only, so a catalog entry is
// checked before download by reading its remote header with HTTP ranges. The machine's RAM and
// VRAM are passed in: the desktop app states what it has, the tests state what they assume. The
// insights need a Llama for type sizes and graph overheads; the CPU build is used here, so the
// check never starts a GPU backend inside main.
import { getLlama, GgufInsights, LlamaLogLevel, readGgufFileInfo, type Llama } from 'node-llama-cpp';
import { TOKENS_PER_IMAGE } from '../contract/chameleon.ts';
import { AppError } from '../contract/errors.ts';
import type { FitReport } from '../contract/models.ts';

export interface Machine {
  ramBytes: number;
  /** 0 without a usable GPU. */
  vramBytes: number;
}

let cpuLlama: Promise<Llama> | null = null;
function llama(): Promise<Llama> {
  cpuLlama ??= getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false, skipDownload: true });
  return cpuLlama;
}

/** The GGUF's insights from a local path or a URL (remote: only the header is fetched). */
export async function ggufInsights(source: string, options: { headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<GgufInsights> {
  const remote = /^https?:\/\//.test(source);
  try {
    const info = await readGgufFileInfo(source, {
      sourceType: remote ? 'network' : 'filesystem',
      logWarnings: false,
      ...(options.headers ? { fetchHeaders: options.headers } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      tokens: { huggingFace: null as unknown as string },
      fetchRetryOptions: { retries: 1 },
    });
    return await GgufInsights.from(info, await llama());
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('model.corrupt', `Could not read the GGUF header for the fit check (${(err as Error).message}).`, {}, { cause: err });
  }
}

function needs(insights: GgufInsights, gpuLayers: number, contextSize: number): { ram: number; vram: number } {
  const model = insights.estimateModelResourceRequirements({ gpuLayers, useMmap: false });
  const context = insights.estimateContextResourceRequirements({ contextSize, modelGpuLayers: gpuLayers });
  return { ram: model.cpuRam + context.cpuRam, vram: model.gpuVram + context.gpuVram };
}

/**
 * The most layers whose model and context share fits in VRAM; then RAM for the rest. 'gpu': all
 * layers offloaded; 'partial': some; 'cpu': none fit (or no GPU); 'tooBig': RAM is short too.
 */
export function fitReport(insights: GgufInsights, contextSize: number, machine: Machine): FitReport {
  const totalLayers = insights.totalLayers;
  let gpuLayers = 0;
  if (machine.vramBytes > 0) {
    for (let layers = totalLayers; layers > 0; layers--) {
      if (needs(insights, layers, contextSize).vram <= machine.vramBytes) {
        gpuLayers = layers;
        break;
      }
    }
  }
  const { ram, vram } = needs(insights, gpuLayers, contextSize);
  const verdict = ram > machine.ramBytes ? 'tooBig' : gpuLayers === totalLayers ? 'gpu' : gpuLayers > 0 ? 'partial' : 'cpu';
  return {
    verdict,
    contextSize,
    gpuLayers,
    totalLayers,
    ramBytes: ram,
    vramBytes: gpuLayers > 0 ? vram : 0,
    availableRamBytes: machine.ramBytes,
    availableVramBytes: machine.vramBytes,
    imagesInContext: Math.floor(contextSize / TOKENS_PER_IMAGE),
  };
}
