// What the parent says when the host process dies: the coded error (with the exit code or signal
// and llama.cpp's telling stderr line, where its assert or CUDA error text lands) and the result
// that settles a generation that was running, keeping the text already streamed.
import type { ErrorData } from '../contract/errors.ts';
import type { CrashedBackend, GenerationResult } from '../contract/engine.ts';
import type { HostExit } from './protocol.ts';

export const BACKEND_NAMES = { cuda: 'CUDA', metal: 'Metal', vulkan: 'Vulkan' } as const;

/** A GPU crash before the backend's first evaluation, and whether the user chose that backend. */
export interface GpuCrash {
  backend: CrashedBackend;
  explicit: boolean;
}

/** "SIGABRT: CUDA error: …": how the host died and the stderr line that says why. */
export function crashSummary(exit: HostExit, stderr: string[]): string {
  const how = exit.signal ?? `exit code ${String(exit.code)}`;
  const lines = stderr.map((l) => l.trim()).filter((l) => l !== '');
  // ggml prints the cause ("CUDA error: …", "GGML_ASSERT(…) failed") before its abort trailer.
  const line = lines.findLast((l) => /GGML_ASSERT|error:/i.test(l)) ?? lines.at(-1);
  return line ? `${how}: ${line}` : how;
}

export function crashError(exit: HostExit, stderr: string[], gpu: GpuCrash | null = null): ErrorData {
  const summary = crashSummary(exit, stderr);
  const details = { exitCode: exit.code, signal: exit.signal, stderr: stderr.slice(-20) };
  if (!gpu) {
    return {
      code: 'engine.crashed',
      message: `The inference process stopped unexpectedly (${summary}). It restarts on the next request.`,
      details,
    };
  }
  const name = BACKEND_NAMES[gpu.backend.kind];
  const next = gpu.explicit
    ? `Choose Auto or the CPU in the settings, or update the GPU driver to use ${name}.`
    : `It restarts without ${name} on the next request.`;
  return {
    code: 'engine.crashed',
    message: `The ${name} backend crashed on this machine before its first answer (${summary}). ${next}`,
    details: { ...details, gpuBackend: gpu.backend.kind },
  };
}

export function crashedResult(partialText: string, totalMs: number, error: ErrorData): GenerationResult {
  return {
    text: partialText,
    stopReason: 'crashed',
    usage: { promptTokens: 0, evaluatedPromptTokens: 0, completionTokens: 0 },
    timings: { promptMs: 0, firstTokenMs: 0, totalMs, tokensPerSecond: 0 },
    seed: 0,
    error,
  };
}
