// The native addon's contract: coded errors naming the bad tensor, encoder-only weights, dtype
// handling (f32/f16/bf16 upcasts are exact), progress per stage, cancellation, dispose. Uses the
// small golden config's weights (fast) and the narrow config for a cancellable long encode.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../main/contract/errors.ts';
import { loadNativeVqgan, nativeGgmlInfo, type NativeTensor, type VqganArchitecture } from '../../../main/images/vqgan/nativeAddon.ts';
import { fixture, loadConfig, readF32, readI32 } from './goldenFixtures.ts';

const opts = { backend: 'cpu', threads: 1 } as const;
const input = () => readF32(fixture('small', 'preproc', 'photo.input.f32'));

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function asF32(t: NativeTensor, round?: (x: number) => number): Float32Array {
  const h = new Uint16Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
  return Float32Array.from(h, (v) => (round ? round(f16ToF32(v)) : f16ToF32(v)));
}

/** Round an f32 value to bf16 (nearest-even on the upper 16 bits). */
function toBf16Value(x: number): number {
  const b = new Uint32Array(Float32Array.of(x).buffer)[0]!;
  const r = (b + 0x7fff + ((b >> 16) & 1)) & 0xffff0000;
  return new Float32Array(Uint32Array.of(r >>> 0).buffer)[0]!;
}

describe('native VQ-GAN addon', () => {
  it("runs on node-llama-cpp's ggml (one ggml per process), best CPU variant for this machine", () => {
    const info = nativeGgmlInfo();
    expect(info.loadedFrom).toMatch(/node_modules[\\/]@node-llama-cpp[\\/]/);
    expect(info.cpuVariant).toMatch(/libggml-cpu[-\w.]*\.(so|dylib|dll)$/);
  });

  it('loads f16 weights and encodes/decodes on the CPU backend', async () => {
    const { arch, tensors } = await loadConfig('small_noattn');
    const model = await loadNativeVqgan(arch, tensors, opts);
    expect(model.backend).toBe('cpu');
    const out = await model.encode(input());
    expect(out.codes).toEqual(readI32(fixture('small', 'small_noattn', 'photo.codes.i32')));
    const dec = await model.decode(out.codes);
    expect(dec.pixels.length).toBe(3 * 64 * 64);
    model.dispose();
  });

  it('gives identical results for f32, and bf16 upcasts exactly', async () => {
    const { arch, tensors } = await loadConfig('small_noattn');
    const f16 = await loadNativeVqgan(arch, tensors, opts);
    const f32Tensors = tensors.map((t) => ({ ...t, dtype: 'f32' as const, data: new Uint8Array(asF32(t).buffer) }));
    const f32 = await loadNativeVqgan(arch, f32Tensors, opts);
    const a = await f16.encode(input(), { debug: true });
    const b = await f32.encode(input(), { debug: true });
    expect(b.prequant).toEqual(a.prequant);

    // the same bf16-representable values stored as bf16 and as f32 must give identical outputs
    const rounded = tensors.map((t) => asF32(t, toBf16Value));
    const bf16 = await loadNativeVqgan(
      arch,
      tensors.map((t, i) => {
        const bits = new Uint32Array(rounded[i]!.buffer);
        return { ...t, dtype: 'bf16' as const, data: new Uint8Array(Uint16Array.from(bits, (v) => v >>> 16).buffer) };
      }),
      opts,
    );
    const bf16AsF32 = await loadNativeVqgan(arch, tensors.map((t, i) => ({ ...t, dtype: 'f32' as const, data: new Uint8Array(rounded[i]!.buffer) })), opts);
    const c = await bf16.encode(input(), { debug: true });
    const d = await bf16AsF32.encode(input(), { debug: true });
    expect(c.prequant).toEqual(d.prequant);
    for (const m of [f16, f32, bf16, bf16AsF32]) m.dispose();
  });

  it('names a missing tensor', async () => {
    const { arch, tensors } = await loadConfig('small_noattn');
    const err = await rejection(loadNativeVqgan(arch, tensors.filter((t) => t.name !== 'encoder.down.2.block.1.conv2.weight'), opts));
    expect(err.code).toBe('vqgan.missingTensor');
    expect(err.details).toEqual({ tensor: 'encoder.down.2.block.1.conv2.weight' });
    expect(err.message).toContain('encoder.down.2.block.1.conv2.weight');
  });

  it('names a mis-shaped tensor, and one whose data is too short', async () => {
    const { arch, tensors } = await loadConfig('small_noattn');
    const reshaped = tensors.map((t) => (t.name === 'decoder.mid.attn_1.q.weight' ? { ...t, shape: [32, 64, 1, 1] } : t));
    const err = await rejection(loadNativeVqgan(arch, reshaped, opts));
    expect(err.code).toBe('vqgan.badTensorShape');
    expect(err.details).toEqual({ tensor: 'decoder.mid.attn_1.q.weight' });

    const truncated = tensors.map((t) => (t.name === 'quant_conv.bias' ? { ...t, data: t.data.subarray(0, 10) } : t));
    const err2 = await rejection(loadNativeVqgan(arch, truncated, opts));
    expect(err2.code).toBe('vqgan.badTensorShape');
    expect(err2.details).toEqual({ tensor: 'quant_conv.bias' });
  });

  it('rejects a weights architecture mismatch (extra attention expected but absent)', async () => {
    const { arch, tensors } = await loadConfig('small_noattn');
    const err = await rejection(loadNativeVqgan({ ...arch, attnResolutions: [4] }, tensors, opts));
    expect(err.code).toBe('vqgan.missingTensor');
    expect(err.details).toEqual({ tensor: 'encoder.down.4.attn.0.norm.weight' });
  });

  it('rejects invalid architectures and unknown dtypes', async () => {
    const { arch, tensors } = await loadConfig('small_noattn');
    const bad: VqganArchitecture = { ...arch, ch: 24 };
    expect((await rejection(loadNativeVqgan(bad, tensors, opts))).code).toBe('vqgan.configInvalid');
    const weird = tensors.map((t, i) => (i === 0 ? { ...t, dtype: 'q8' as unknown as 'f16' } : t));
    expect((await rejection(loadNativeVqgan(arch, weird, opts))).code).toBe('vqgan.weightsInvalid');
  });

  it('encodes without a decoder and says why decode is impossible', async () => {
    const { arch, tensors } = await loadConfig('small_noattn');
    const encoderOnly = tensors.filter((t) => !t.name.startsWith('decoder.') && !t.name.startsWith('post_quant_conv.'));
    const model = await loadNativeVqgan({ ...arch, hasDecoder: false }, encoderOnly, opts);
    const out = await model.encode(input());
    expect(out.codes).toEqual(readI32(fixture('small', 'small_noattn', 'photo.codes.i32')));
    const err = await rejection(model.decode(out.codes));
    expect(err.code).toBe('vqgan.noDecoder');
    model.dispose();
  });

  it('rejects codes outside the codebook or of the wrong count', async () => {
    const { arch, tensors } = await loadConfig('small_noattn');
    const model = await loadNativeVqgan(arch, tensors, opts);
    expect((await rejection(model.decode(new Int32Array(16).fill(512)))).message).toContain('outside the codebook');
    expect((await rejection(model.decode(new Int32Array(15)))).message).toContain('expects 16 codes');
    expect((await rejection(model.encode(new Float32Array(10)))).code).toBe('vqgan.internal');
    model.dispose();
  });

  it('reports progress per stage, in order', async () => {
    const { arch, tensors } = await loadConfig('small_attn');
    const model = await loadNativeVqgan(arch, tensors, opts);
    const seen: string[] = [];
    await model.encode(input(), { onProgress: (stage, done, total) => seen.push(`${stage} ${done}/${total}`) });
    expect(seen).toEqual([
      'encoder.down.0 1/8', 'encoder.down.1 2/8', 'encoder.down.2 3/8', 'encoder.down.3 4/8', 'encoder.down.4 5/8',
      'encoder.mid 6/8', 'encoder.out 7/8', 'quantize 8/8',
    ]);
    const decSeen: string[] = [];
    await model.decode(readI32(fixture('small', 'small_attn', 'photo.codes.i32')), { onProgress: (stage) => decSeen.push(stage) });
    expect(decSeen).toEqual(['decoder.mid', 'decoder.up.4', 'decoder.up.3', 'decoder.up.2', 'decoder.up.1', 'decoder.up.0', 'decoder.out']);
    model.dispose();
  });

  it('cancels a running encode at the next stage, and stays usable afterwards', async () => {
    const { arch, tensors } = await loadConfig('narrow');
    const model = await loadNativeVqgan(arch, tensors, opts);
    const pixels = readF32(fixture('narrow', 'photo.input.f32'));
    const ac = new AbortController();
    const stages: string[] = [];
    const err = await rejection(
      model.encode(pixels, {
        signal: ac.signal,
        onProgress: (stage) => {
          stages.push(stage);
          ac.abort();
        },
      }),
    );
    expect(err.code).toBe('vqgan.cancelled');
    expect(stages.length).toBeLessThan(8);

    const pre = new AbortController();
    pre.abort();
    expect((await rejection(model.encode(pixels, { signal: pre.signal }))).code).toBe('vqgan.cancelled');

    const out = await model.encode(pixels);
    expect(out.codes.length).toBe(1024);
    model.dispose();
  });

  it('refuses work after dispose', async () => {
    const { arch, tensors } = await loadConfig('small_noattn');
    const model = await loadNativeVqgan(arch, tensors, opts);
    model.dispose();
    expect((await rejection(model.encode(input()))).message).toContain('disposed');
  });

  it('either runs on a GPU or says that none is usable when one is demanded', async () => {
    const { arch, tensors } = await loadConfig('small_noattn');
    const result = await loadNativeVqgan(arch, tensors, { backend: 'gpu', threads: 1 }).then(
      (m) => m,
      (e: unknown) => e,
    );
    if (result instanceof AppError) {
      expect(result.code).toBe('vqgan.backendUnavailable');
    } else {
      const model = result as Awaited<ReturnType<typeof loadNativeVqgan>>;
      expect(model.backend).not.toBe('cpu');
      const out = await model.encode(input());
      expect(out.codes).toEqual(readI32(fixture('small', 'small_noattn', 'photo.codes.i32')));
      model.dispose();
    }
  });
});
