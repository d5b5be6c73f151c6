// Meta's `vqgan.ckpt`: a PyTorch zip checkpoint (`<name>/data.pkl` + one `<name>/data/<key>` entry
// per storage). The pickle is run by our restricted VM, `state_dict` is taken from the top-level
// dict, and tensor bytes are read lazily from the storage entries — never through Python.
import type { FileHandle } from 'node:fs/promises';
import { AppError } from '../../../contract/errors.ts';
import type { NativeTensor } from '../nativeAddon.ts';
import { Opaque, STORAGE_ELEMENT_SIZE, TensorRef, unpickle } from './pickleVm.ts';
import type { PickleValue } from './pickleVm.ts';
import type { LazyTensor } from './safetensors.ts';
import { readExactly } from './safetensors.ts';
import { ZipReader } from './zipReader.ts';

const NATIVE_DTYPES: Partial<Record<TensorRef['storage']['dtype'], NativeTensor['dtype']>> = { f32: 'f32', f16: 'f16', bf16: 'bf16' };

/** torch's legacy format opens with the pickled magic number 0x1950a86a20f9469cfc6c (PROTO 2, LONG1 of 10 bytes). */
const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

/** First bytes of the file: `PK\x03\x04` for the zip format, the pickled magic number for torch's legacy format. */
export async function sniffCheckpoint(fh: FileHandle, file: string): Promise<'zip' | 'legacy' | 'other'> {
  const head = await readExactly(fh, 0, LEGACY_MAGIC.length, file).catch(() => new Uint8Array(0));
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'zip';
  if (head.length === LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, i) => head[i] === b)) return 'legacy';
  return 'other';
}

function stateDictOf(root: PickleValue, file: string): Map<PickleValue, PickleValue> {
  if (!(root instanceof Map)) throw new AppError('vqgan.weightsInvalid', `${file}: the checkpoint is not a dict.`, { file });
  const inner = root.get('state_dict');
  if (inner instanceof Map) return inner;
  // a bare state_dict saved directly
  if ([...root.values()].some((v) => v instanceof TensorRef)) return root;
  throw new AppError('vqgan.weightsInvalid', `${file}: the checkpoint has no state_dict.`, { file });
}

/** Copy a (possibly strided) view out of its storage bytes into a contiguous buffer. */
function gather(src: Uint8Array, elem: number, shape: number[], stride: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(count * elem);
  const idx = new Array<number>(shape.length).fill(0);
  for (let n = 0; n < count; n++) {
    let at = 0;
    for (let d = 0; d < shape.length; d++) at += idx[d]! * stride[d]!;
    out.set(src.subarray(at * elem, at * elem + elem), n * elem);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** List the tensors of a PyTorch zip checkpoint's state_dict; `keep` filters by name before any checks. */
export async function openTorchCheckpoint(fh: FileHandle, file: string, size: number, keep: (name: string) => boolean): Promise<LazyTensor[]> {
  const zip = await ZipReader.open(fh, file, size);
  const pkl = [...zip.entries.values()].find((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (!pkl) throw new AppError('vqgan.weightsInvalid', `${file} is a zip but not a PyTorch checkpoint (no <name>/data.pkl).`, { file });
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const byteorder = zip.entries.get(`${prefix}byteorder`);
  if (byteorder && new TextDecoder().decode(await zip.read(byteorder)).trim() !== 'little') {
    throw new AppError('vqgan.weightsInvalid', `${file} was saved on a big-endian machine.`, { file });
  }
  const state = stateDictOf(unpickle(await zip.read(pkl)), file);
  const tensors: LazyTensor[] = [];
  for (const [name, value] of state) {
    if (typeof name !== 'string' || !keep(name)) continue;
    if (!(value instanceof TensorRef)) {
      const what = value instanceof Opaque ? value.what : typeof value;
      throw new AppError('vqgan.weightsInvalid', `${file}: state_dict entry ${name} is not a tensor (${what}).`, { file, tensor: name });
    }
    const dtype = NATIVE_DTYPES[value.storage.dtype];
    if (!dtype) throw new AppError('vqgan.weightsInvalid', `${file}: tensor ${name} is stored as ${value.storage.dtype}; only float32, float16 and bfloat16 are supported.`, { file, tensor: name });
    const entry = zip.entries.get(`${prefix}data/${value.storage.key}`);
    if (!entry) throw new AppError('vqgan.weightsInvalid', `${file}: storage ${value.storage.key} of ${name} is missing.`, { file, tensor: name });
    const elem = STORAGE_ELEMENT_SIZE[value.storage.dtype];
    const { shape, stride, offset } = value;
    if (stride.length !== shape.length) throw new AppError('vqgan.weightsInvalid', `${file}: tensor ${name} has mismatched size and stride.`, { file, tensor: name });
    const count = shape.reduce((a, b) => a * b, 1);
    // last element reached by the view, in storage elements
    const span = count === 0 ? 0 : shape.reduce((acc, d, i) => acc + (d - 1) * stride[i]!, 0) + 1;
    if (offset < 0 || offset + span > entry.size / elem) throw new AppError('vqgan.weightsInvalid', `${file}: tensor ${name} reaches past its storage.`, { file, tensor: name });
    let expect = 1;
    const contiguous = shape.every((_, i) => {
      const d = shape.length - 1 - i;
      const ok = shape[d] === 1 || stride[d] === expect;
      expect *= shape[d]!;
      return ok;
    });
    tensors.push({
      name,
      shape,
      dtype,
      read: async () => {
        if (contiguous) return zip.read(entry, offset * elem, count * elem);
        return gather(await zip.read(entry, offset * elem, span * elem), elem, shape, stride);
      },
      ...(contiguous
        ? {
            readRange: (from: number, length: number) => {
              if (from < 0 || length < 0 || from + length > count * elem) return Promise.reject(new AppError('vqgan.weightsInvalid', `${file}: a read past tensor ${name}.`, { file, tensor: name }));
              return zip.read(entry, offset * elem + from, length);
            },
          }
        : {}),
    });
  }
  return tensors;
}
