// Child process of `npm run bench:vqgan`: how far the pre-quant latents of the narrow golden config
// (real 512-px input, 32×32 grid) are from Meta's reference, and how many codes differ, with the
// 3x3 conv kernel the environment picks (CHAMELEON_VQGAN_CONV=direct or the default, Winograd).
// The native addon reads that switch once per process, hence a process per kernel.
// Prints one JSON line.
import { loadNativeVqgan } from '../../main/images/vqgan/nativeAddon.ts';
import { fixture, loadConfig, maxAbsDiff, readF32, readI32 } from '../integration/vqgan/goldenFixtures.ts';

const { arch, tensors } = await loadConfig('narrow');
const model = await loadNativeVqgan(arch, tensors, { backend: 'cpu', threads: Number(process.env.BENCH_THREADS ?? 2) });
const out: Record<string, { maxAbs: number; maxRef: number; codesDiffer: number; differNearTie: number }> = {};
try {
  for (const img of ['gradient', 'alpha', 'photo']) {
    const enc = await model.encode(readF32(fixture('narrow', `${img}.input.f32`)), { debug: true });
    const ref = readF32(fixture('narrow', `${img}.prequant.f32`));
    const codes = readI32(fixture('narrow', `${img}.codes.i32`));
    const margins = readF32(fixture('narrow', `${img}.code_margin.f32`));
    let differ = 0;
    let nearTie = 0;
    for (let i = 0; i < codes.length; i++) {
      if (enc.codes[i] === codes[i]) continue;
      differ++;
      if (margins[i]! < 1e-3) nearTie++;
    }
    out[img] = { maxAbs: maxAbsDiff(enc.prequant!, ref), maxRef: ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0), codesDiffer: differ, differNearTie: nearTie };
  }
} finally {
  model.dispose();
}
console.log(JSON.stringify(out));
