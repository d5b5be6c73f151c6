// Writes a PyTorch zip checkpoint the way torch.save does (format version 3): entries
// `archive/data.pkl` (pickle protocol 2), `archive/byteorder`, `archive/data/<key>` (one per
// storage, data aligned to 64 bytes through padding in the local header's extra field),
// `archive/version`; all stored uncompressed. The pickle holds a Lightning-style top level:
// {'state_dict': OrderedDict(name → _rebuild_tensor_v2(...)), 'epoch': …, 'hyper_parameters': <object>}.
import { crc32, deflateRawSync } from 'node:zlib';

export interface CkptTensor {
  name: string;
  /** storage element type */
  storage: 'FloatStorage' | 'HalfStorage' | 'BFloat16Storage';
  /** the storage's raw bytes */
  bytes: Uint8Array;
  numel: number;
  offset: number;
  shape: number[];
  stride: number[];
}

export class Pickler {
  parts: number[] = [];
  memo = new Map<string, number>();
  op(...b: number[]): this {
    this.parts.push(...b);
    return this;
  }
  u32(v: number): this {
    return this.op(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    this.op(0x58).u32(b.length); // BINUNICODE
    return this.op(...b);
  }
  int(v: number): this {
    if (v >= 0 && v < 256) return this.op(0x4b, v); // BININT1
    if (v >= 0 && v < 65536) return this.op(0x4d, v & 0xff, v >> 8); // BININT2
    return this.op(0x4a).u32(v); // BININT
  }
  global(module: string, name: string): this {
    const key = `${module}.${name}`;
    const at = this.memo.get(key);
    if (at !== undefined) return this.op(0x68, at); // BINGET
    this.op(0x63, ...Buffer.from(`${module}\n${name}\n`, 'latin1'));
    const slot = this.memo.size;
    this.memo.set(key, slot);
    return this.op(0x71, slot); // BINPUT
  }
  tuple(values: number[]): this {
    this.op(0x28);
    for (const v of values) this.int(v);
    return this.op(0x74);
  }
}

export interface PickleHooks {
  /** extra key/value pairs pushed at the end of state_dict */
  stateDict?: (p: Pickler) => void;
  /** extra key/value pairs pushed at the end of the top-level dict */
  topLevel?: (p: Pickler) => void;
}

export function storagePickle(tensors: CkptTensor[], hooks: PickleHooks = {}): Uint8Array {
  const p = new Pickler();
  p.op(0x80, 2, 0x7d, 0x28); // PROTO 2, EMPTY_DICT, MARK
  p.str('state_dict').global('collections', 'OrderedDict').op(0x29, 0x52, 0x28); // OrderedDict(), MARK
  tensors.forEach((t, key) => {
    p.str(t.name).global('torch._utils', '_rebuild_tensor_v2').op(0x28);
    p.op(0x28).str('storage').global('torch', t.storage).str(String(key)).str('cpu').int(t.numel).op(0x74, 0x51); // persistent id
    p.int(t.offset).tuple(t.shape).tuple(t.stride).op(0x89); // offset, size, stride, requires_grad=False
    p.global('collections', 'OrderedDict').op(0x29, 0x52); // backward hooks
    p.op(0x74, 0x52); // TUPLE, REDUCE
  });
  hooks.stateDict?.(p);
  p.op(0x75); // SETITEMS into the OrderedDict
  p.str('epoch').int(7);
  p.str('hyper_parameters').global('argparse', 'Namespace').op(0x29, 0x52); // an object we must never call
  hooks.topLevel?.(p);
  p.op(0x75, 0x2e); // SETITEMS, STOP
  return Uint8Array.from(p.parts);
}

interface Entry {
  name: string;
  data: Uint8Array;
  /** store deflated (method 8) instead of stored; torch never does, other zip tools may */
  deflate?: boolean;
}

/** A stored-only zip with 64-byte-aligned data, like PyTorch's writer. */
export function zipBytes(entries: Entry[]): Buffer {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const headerLen = 30 + name.length + 4;
    const pad = (64 - ((offset + headerLen) % 64)) % 64;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x4246, 0); // 'FB' padding record, as torch writes
    extra.writeUInt16LE(pad, 2);
    const crc = crc32(e.data);
    const body = e.deflate ? deflateRawSync(e.data) : Buffer.from(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    chunks.push(local, name, extra, body);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(e.deflate ? 8 : 0, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(e.data.length, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    offset += local.length + name.length + extra.length + body.length;
  }
  const cdBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...chunks, cdBytes, end]);
}

/** A full checkpoint file's bytes for `tensors`. */
export function torchCheckpointBytes(tensors: CkptTensor[], opts: { prefix?: string; pickle?: Uint8Array; deflate?: boolean } = {}): Buffer {
  const prefix = opts.prefix ?? 'archive';
  const deflate = opts.deflate ?? false;
  return zipBytes([
    { name: `${prefix}/data.pkl`, data: opts.pickle ?? storagePickle(tensors), deflate },
    { name: `${prefix}/byteorder`, data: Buffer.from('little') },
    ...tensors.map((t, i) => ({ name: `${prefix}/data/${i}`, data: t.bytes, deflate })),
    { name: `${prefix}/version`, data: Buffer.from('3\n') },
  ]);
}
