// Checkpoint values (f32, f16, bf16 little-endian bytes) as f32, read by ggml's own converters.
import { ggmlQuantizer } from '../../images/vqgan/nativeAddon.ts';
import type { LazyTensor } from '../../images/vqgan/weights/safetensors.ts';

/** ggml type ids of the checkpoint dtypes (ggml's `enum ggml_type`). */
export const GGML_OF_DTYPE = { f32: 0, f16: 1, bf16: 30 } as const;
export const DTYPE_BYTES = { f32: 4, f16: 2, bf16: 2 } as const;

export async function toF32(dtype: LazyTensor['dtype'], bytes: Uint8Array, count: number): Promise<Float32Array> {
  if (dtype === 'f32') return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return ggmlQuantizer.dequantize(GGML_OF_DTYPE[dtype], bytes, count);
}
