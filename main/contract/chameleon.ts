// Chameleon's fixed token layout (../shared/docs/chameleon.md §0–§2). Shared by the engine, the
// image path and the UI's context meter, so it lives in the environment-free contract.

export const VOCAB_SIZE = 65536;
export const BOS_ID = 0;
export const PAD_ID = 1;
export const EOS_ID = 2;
export const UNK_ID = 3;
/** First and last id of the 8192 VQ-GAN code tokens `IMGIMG…Z`; id = code + 4. */
export const IMAGE_TOKEN_FIRST_ID = 4;
export const IMAGE_TOKEN_LAST_ID = 8195;
export const IMAGE_CODEBOOK_SIZE = 8192;
/** Ids below this are specials, image codes and reserved tokens; text starts here (chameleon.md §1.1). */
export const FIRST_TEXT_ID = 16384;
/** `<eoss>`: end of image. */
export const EOI_ID = 8196;
/** `<racm3:break>`: begin of image. */
export const BOI_ID = 8197;
/** `<reserved08706>`: end of a user turn (HF sep_token). */
export const EOT_ID = 8710;
export const IMAGE_CODES_PER_IMAGE = 1024;
/** BOI + 1024 codes + EOI. */
export const TOKENS_PER_IMAGE = IMAGE_CODES_PER_IMAGE + 2;
export const CONTEXT_LENGTH = 4096;

/**
 * Image aliases (chameleon.md §6.4): llama.cpp masks the logits of ids 4–8195 in its graph, so an
 * image-capable GGUF made by the app carries 8192 extra CONTROL tokens at 65536–73727, alias a of
 * code c = a − 65536, whose `token_embd` rows copy id 4+c and whose `output` rows hold Anole's image
 * head. Sampling happens on the aliases; the id fed back and stored is always the original 4+c.
 */
export const IMAGE_ALIAS_FIRST_ID = VOCAB_SIZE;
export const IMAGE_ALIAS_LAST_ID = VOCAB_SIZE + IMAGE_CODEBOOK_SIZE - 1;
export const ALIASED_VOCAB_SIZE = VOCAB_SIZE + IMAGE_CODEBOOK_SIZE;
/** GGUF metadata key (u32 = IMAGE_ALIAS_FIRST_ID) marking a file the app already transformed. */
export const IMAGE_ALIAS_GGUF_KEY = 'chameleon_desktop.image_alias_first_id';

/** Unique token text for alias c; never contains "unused" (llama-vocab would mark it unused). */
export function imageAliasName(code: number): string {
  return `<chameleon-desktop:image-alias:${code}>`;
}

export function aliasIdToCode(id: number): number {
  return id - IMAGE_ALIAS_FIRST_ID;
}

export function codeToAliasId(code: number): number {
  return code + IMAGE_ALIAS_FIRST_ID;
}

/** Reference text sampling defaults (chameleon.md §2.2). */
export const DEFAULT_SAMPLING = {
  temperature: 0.7,
  topP: 0.9,
  topK: 0,
  repeatPenalty: 1.2,
  maxTokens: 1024,
} as const;

export function codeToTokenId(code: number): number {
  return code + IMAGE_TOKEN_FIRST_ID;
}

export function tokenIdToCode(id: number): number {
  return id - IMAGE_TOKEN_FIRST_ID;
}

/** `IMGIMG` + decimal digits as letters A–J + `Z` (chameleon.md §1.4). */
export function imageTokenName(code: number): string {
  const letters = String(code).replace(/[0-9]/g, (d) => String.fromCharCode(65 + Number(d)));
  return `IMGIMG${letters}Z`;
}

/** Inverse of imageTokenName; null when the name is not an image token. */
export function imageTokenCode(name: string): number | null {
  const m = /^IMGIMG([A-J]+)Z$/.exec(name);
  if (!m) return null;
  const digits = m[1]!.replace(/[A-J]/g, (c) => String(c.charCodeAt(0) - 65));
  if (digits.length > 1 && digits.startsWith('0')) return null;
  return Number(digits);
}
