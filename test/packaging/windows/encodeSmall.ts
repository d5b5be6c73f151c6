// Run by Windows Node under Wine (test/packaging/windowsAddon.test.ts), inside the tree that
// windowsTree.ts assembles: loads the mingw-built addon through the app's own loader, encodes the
// small golden fixture's photo on the CPU and writes the codes, ggml's info and a Q4_K quantization as JSON to argv[3].
// argv[2] is the golden fixture folder (../shared/fixtures/vqgan/small).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ggmlQuantizer, loadNativeVqgan, nativeGgmlInfo, type VqganArchitecture } from '../../../main/images/vqgan/nativeAddon.ts';
import { openSafetensors } from '../../../main/images/vqgan/weights/safetensors.ts';

const [fixtureDir, outFile] = process.argv.slice(2) as [string, string];
interface Ddconfig {
  z_channels: number; resolution: number; in_channels: number; out_ch: number; ch: number; ch_mult: number[]; num_res_blocks: number; attn_resolutions: number[];
}
const manifest = JSON.parse(readFileSync(path.join(fixtureDir, 'manifest.json'), 'utf8')) as {
  variants: Record<string, { config: { embed_dim: number; n_embed: number; ddconfig: Ddconfig }; param_names: string[] }>;
};
const variant = manifest.variants['small_noattn']!;
const d = variant.config.ddconfig;
const arch: VqganArchitecture = {
  resolution: d.resolution, inChannels: d.in_channels, outCh: d.out_ch, ch: d.ch, chMult: d.ch_mult, numResBlocks: d.num_res_blocks,
  attnResolutions: d.attn_resolutions, zChannels: d.z_channels, embedDim: variant.config.embed_dim, nEmbed: variant.config.n_embed, hasEncoder: true, hasDecoder: true,
};
const keep = new Set(variant.param_names);
const { tensors, close } = await openSafetensors(path.join(fixtureDir, 'weights.safetensors'));
const native = await Promise.all(tensors.filter((t) => keep.has(t.name)).map(async (t) => ({ name: t.name, shape: t.shape, dtype: t.dtype, data: await t.read() })));
await close();
const input = readFileSync(path.join(fixtureDir, 'preproc', 'photo.input.f32'));
const model = await loadNativeVqgan(arch, native, { backend: 'cpu', threads: 2 });
const out = await model.encode(new Float32Array(input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength)));
const decoded = await model.decode(out.codes);
model.dispose();
// ggml's quantizer through the same table: the first 256 input values as Q4_K (12) bytes, compared with the Linux build's
const q4k = await ggmlQuantizer.quantize(12, new Float32Array(input.buffer.slice(input.byteOffset, input.byteOffset + 1024)), 1, 256);
writeFileSync(outFile, JSON.stringify({ platform: process.platform, ggml: nativeGgmlInfo(), codes: [...out.codes], decodedValues: decoded.pixels.length, q4k: Buffer.from(q4k).toString('hex') }));
