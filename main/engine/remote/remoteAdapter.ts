// What every remote engine adapter does: check the server serves Chameleon, build our exact prompt
// ids (text tokenized by the server's own tokenizer, images as our VQ-GAN's codes), and generate
// with the same GenerationEvent/GenerationResult shapes as the local engine.
import type { ChatTurn, GenerateRequest, GenerationEvent, GenerationResult } from '../../contract/engine.ts';
import type { RemoteModel } from '../../contract/remoteEngines.ts';
import { FIRST_TEXT_ID, EOS_ID, EOT_ID } from '../../contract/chameleon.ts';

export interface RemoteGenerateOptions {
  signal?: AbortSignal;
  onEvent?: (event: GenerationEvent) => void;
}

export interface RemoteAdapter {
  /** Asks the server what it serves; remote.notChameleon when that is not a Chameleon model. */
  probe(signal?: AbortSignal): Promise<RemoteModel>;
  /** The exact prompt ids for these turns, as generate would send them. */
  promptTokens(turns: ChatTurn[], signal?: AbortSignal): Promise<number[]>;
  generate(request: GenerateRequest, options?: RemoteGenerateOptions): Promise<GenerationResult & { tokens: number[] }>;
}

/**
 * The ids the local engine bans while writing text (its textOnlyBias): every id below the first text
 * id except EOS and EOT — image codes (llama.cpp's graph mask leaks, defect 2), BOI/EOI, reserved.
 */
export function textOnlyBannedIds(): number[] {
  const out: number[] = [];
  for (let id = 0; id < FIRST_TEXT_ID; id++) if (id !== EOS_ID && id !== EOT_ID) out.push(id);
  return out;
}
