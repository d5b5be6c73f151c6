// What the parent says when the host process dies: the coded error (with the exit code or signal
// and llama.cpp's last stderr lines, where its assert text lands) and the result that settles a
// generation that was running, keeping the text already streamed.
import type { ErrorData } from '../contract/errors.ts';
import type { GenerationResult } from '../contract/engine.ts';
import type { HostExit } from './protocol.ts';

export function crashError(exit: HostExit, stderr: string[]): ErrorData {
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${String(exit.code)}`;
  const lastLine = [...stderr].reverse().find((l) => l.trim() !== '');
  return {
    code: 'engine.crashed',
    message: `The inference process stopped unexpectedly (${how})${lastLine ? `: ${lastLine.trim()}` : ''}. It restarts on the next request.`,
    details: { exitCode: exit.code, signal: exit.signal, stderr: stderr.slice(-20) },
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
