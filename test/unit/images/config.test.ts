// Config parsing: taming-transformers' yaml layout (lists at the key's indentation, comments) and
// Hugging Face's ChameleonVQVAEConfig (top level or vq_config, attn_resolutions null).
import { describe, expect, it } from 'vitest';
import type { AppError } from '../../../main/contract/errors.ts';
import { parseSimpleYaml, parseVqganConfig } from '../../../main/images/vqgan/weights/config.ts';

const TAMING_STYLE = `# vqgan.yaml as PyYAML dumps it
model:
  base_learning_rate: 4.5e-06
  target: taming.models.vqgan.VQModel
  params:
    embed_dim: 256
    n_embed: 8192
    ddconfig:
      double_z: false
      z_channels: 256
      resolution: 512
      in_channels: 3
      out_ch: 3
      ch: 128
      ch_mult:
      - 1
      - 1
      - 2
      - 2
      - 4
      num_res_blocks: 2
      attn_resolutions: []
      dropout: 0.0
    lossconfig:
      target: taming.modules.losses.vqperceptual.VQLPIPSWithDiscriminator
      params:
        disc_conditional: false
        disc_start: 100000001
`;

const FULL = { resolution: 512, inChannels: 3, outCh: 3, ch: 128, chMult: [1, 1, 2, 2, 4], numResBlocks: 2, attnResolutions: [], zChannels: 256, embedDim: 256, nEmbed: 8192 };

describe('VQ-GAN configs', () => {
  it('reads Meta/taming vqgan.yaml with block lists at the key indentation', () => {
    expect(parseVqganConfig(TAMING_STYLE)).toEqual(FULL);
    const doc = parseSimpleYaml('a:\n  b: [1, 2]\n  c:\n    - x\n    - "y"\n  d: ~\n') as Record<string, unknown>;
    expect(doc).toEqual({ a: { b: [1, 2], c: ['x', 'y'], d: null } });
  });

  it('reads HF config.json (vq_config) and a stand-alone VQVAE config with attn_resolutions null', () => {
    const vq = { embed_dim: 256, num_embeddings: 8192, double_latent: false, latent_channels: 256, resolution: 512, in_channels: 3, base_channels: 128, channel_multiplier: [1, 1, 2, 2, 4], num_res_blocks: 2, attn_resolutions: null, dropout: 0.0, attn_type: 'vanilla' };
    const { outCh: _outCh, ...withoutOut } = FULL;
    expect(parseVqganConfig(JSON.stringify({ model_type: 'chameleon', vocab_size: 65536, vq_config: vq }))).toEqual(withoutOut);
    expect(parseVqganConfig(JSON.stringify(vq))).toEqual(withoutOut);
  });

  it('refuses configs that are not VQ-GAN configs or have wrong types', () => {
    const codeOf = (text: string) => {
      try {
        parseVqganConfig(text);
      } catch (e) {
        return (e as AppError).code;
      }
      return 'no error';
    };
    expect(codeOf('{"model_type": "llama", "hidden_size": 4096}')).toBe('vqgan.configInvalid');
    expect(codeOf(TAMING_STYLE.replace('ch: 128', 'ch: wide'))).toBe('vqgan.configInvalid');
    expect(codeOf('model:\n  params: [unterminated\n bad indent')).toBe('vqgan.configInvalid');
    expect(codeOf('{ not json')).toBe('vqgan.configInvalid');
  });
});
