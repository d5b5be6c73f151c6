// A restricted unpickler for PyTorch checkpoints. It never imports or calls anything: the only
// globals it understands are OrderedDict and torch's tensor/parameter rebuild helpers, and storages
// arrive as persistent ids (`('storage', torch.FloatStorage, key, location, numel)`). Any other
// global becomes an inert `Opaque` marker (a Lightning checkpoint carries optimizer states and
// hyper-parameters next to `state_dict`); the loader refuses a state_dict that contains one.
import { AppError } from '../../../contract/errors.ts';

export class Opaque {
  readonly what: string;
  constructor(what: string) {
    this.what = what;
  }
}

class Global {
  readonly module: string;
  readonly name: string;
  constructor(module: string, name: string) {
    this.module = module;
    this.name = name;
  }
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

export type StorageDtype = 'f32' | 'f16' | 'bf16' | 'f64' | 'i64' | 'i32' | 'i16' | 'i8' | 'u8' | 'bool';

export const STORAGE_ELEMENT_SIZE: Record<StorageDtype, number> = { f32: 4, f16: 2, bf16: 2, f64: 8, i64: 8, i32: 4, i16: 2, i8: 1, u8: 1, bool: 1 };

const STORAGE_TYPES: Record<string, StorageDtype> = {
  FloatStorage: 'f32',
  HalfStorage: 'f16',
  BFloat16Storage: 'bf16',
  DoubleStorage: 'f64',
  LongStorage: 'i64',
  IntStorage: 'i32',
  ShortStorage: 'i16',
  CharStorage: 'i8',
  ByteStorage: 'u8',
  BoolStorage: 'bool',
};

export class StorageRef {
  readonly key: string;
  readonly dtype: StorageDtype;
  readonly numel: number;
  constructor(key: string, dtype: StorageDtype, numel: number) {
    this.key = key;
    this.dtype = dtype;
    this.numel = numel;
  }
}

export class TensorRef {
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
  constructor(storage: StorageRef, offset: number, shape: number[], stride: number[]) {
    this.storage = storage;
    this.offset = offset;
    this.shape = shape;
    this.stride = stride;
  }
}

export type PickleValue = null | boolean | number | string | Uint8Array | PickleValue[] | Map<PickleValue, PickleValue> | Global | Opaque | StorageRef | TensorRef;

const MARK = Symbol('mark');

function refuse(why: string): AppError {
  return new AppError('vqgan.weightsInvalid', `The checkpoint's pickle is not a plain state_dict: ${why}`);
}

function int(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw refuse(`${what} is not an integer`);
  return v;
}

function intList(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw refuse(`${what} is not a tuple`);
  return v.map((x, i) => int(x, `${what}[${i}]`));
}

function persistentLoad(pid: PickleValue): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw refuse('unknown persistent id');
  const type = pid[1];
  const name = type instanceof Global ? type.name : '';
  const dtype = STORAGE_TYPES[name];
  if (!(type instanceof Global) || type.module !== 'torch' || !dtype) throw refuse(`unsupported storage type ${type instanceof Global ? type.qualified : String(type)}`);
  const key = pid[2];
  if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) throw refuse('storage key is not a plain name');
  return new StorageRef(key, dtype, int(pid[4], 'storage size'));
}

function reduce(fn: PickleValue, args: PickleValue): PickleValue {
  if (!(fn instanceof Global)) return new Opaque('call of a non-global');
  const a = Array.isArray(args) ? args : [];
  switch (fn.qualified) {
    case 'collections.OrderedDict':
      return new Map();
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = a;
      if (!(storage instanceof StorageRef)) throw refuse('tensor without a storage');
      return new TensorRef(storage, int(offset, 'storage offset'), intList(size, 'size'), intList(stride, 'stride'));
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return a[0] ?? null;
    default:
      return new Opaque(fn.qualified);
  }
}

/** Run the pickle program in `data` and return its result. */
export function unpickle(data: Uint8Array): PickleValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const text = new TextDecoder('utf-8');
  const latin1 = new TextDecoder('latin1');
  const stack: (PickleValue | typeof MARK)[] = [];
  const memo = new Map<number, PickleValue>();
  let p = 0;
  const need = (n: number) => {
    if (p + n > data.length) throw refuse('truncated pickle');
  };
  const u8 = () => (need(1), data[p++]!);
  const u16 = () => (need(2), (p += 2), view.getUint16(p - 2, true));
  const u32 = () => (need(4), (p += 4), view.getUint32(p - 4, true));
  const bytes = (n: number) => (need(n), (p += n), data.subarray(p - n, p));
  const line = () => {
    const end = data.indexOf(0x0a, p);
    if (end < 0) throw refuse('truncated pickle');
    const s = latin1.decode(data.subarray(p, end));
    p = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw refuse('stack underflow');
    return v;
  };
  const popMark = (): PickleValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw refuse('missing mark');
    const items = stack.splice(at) as PickleValue[];
    items.shift();
    return items;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw refuse('stack underflow');
    return v;
  };
  const setItems = (target: PickleValue, kv: PickleValue[]) => {
    if (target instanceof Opaque) return;
    if (!(target instanceof Map)) throw refuse('SETITEM on a non-dict');
    for (let i = 0; i + 1 < kv.length; i += 2) target.set(kv[i]!, kv[i + 1]!);
  };
  const signedLong = (b: Uint8Array): number => {
    // Sizes and offsets fit in 8 bytes; a longer LONG4 would cost quadratic time to build.
    if (b.length > 8) throw refuse(`a ${b.length}-byte integer`);
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b.length > 0 && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number(v);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: bytes(8); break; // FRAME
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(MARK); break;
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x8f: stack.push(new Opaque('set')); break; // EMPTY_SET
      case 0x74: case 0x6c: stack.push(popMark()); break; // TUPLE, LIST
      case 0x91: popMark(); stack.push(new Opaque('frozenset')); break;
      case 0x90: popMark(); break; // ADDITEMS
      case 0x64: { const m = new Map(); setItems(m, popMark()); stack.push(m); break; } // DICT
      case 0x85: stack.push([pop()]); break;
      case 0x86: { const b = pop(); stack.push([pop(), b]); break; }
      case 0x87: { const c = pop(); const b = pop(); stack.push([pop(), b, c]); break; }
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x61: { const v = pop(); const l = top(); if (Array.isArray(l)) l.push(v); else if (!(l instanceof Opaque)) throw refuse('APPEND to a non-list'); break; }
      case 0x65: { const vs = popMark(); const l = top(); if (Array.isArray(l)) { for (const v of vs) l.push(v); } else if (!(l instanceof Opaque)) throw refuse('APPENDS to a non-list'); break; }
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { const k = op === 0x68 ? u8() : u32(); if (!memo.has(k)) throw refuse(`memo ${k} missing`); stack.push(memo.get(k)!); break; }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x63: { const module = line(); stack.push(new Global(module, line())); break; } // GLOBAL
      case 0x93: { const name = pop(); const module = pop(); if (typeof module !== 'string' || typeof name !== 'string') throw refuse('STACK_GLOBAL needs strings'); stack.push(new Global(module, name)); break; }
      case 0x4a: need(4); stack.push(view.getInt32(p, true)); p += 4; break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(signedLong(bytes(u8()))); break; // LONG1
      case 0x8b: stack.push(signedLong(bytes(u32()))); break; // LONG4
      case 0x47: need(8); stack.push(view.getFloat64(p, false)); p += 8; break; // BINFLOAT (big-endian)
      case 0x58: stack.push(text.decode(bytes(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(text.decode(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: { need(8); const n = Number(view.getBigUint64(p, true)); p += 8; stack.push(text.decode(bytes(n))); break; }
      case 0x55: stack.push(latin1.decode(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x54: stack.push(latin1.decode(bytes(u32()))); break; // BINSTRING
      case 0x43: stack.push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x42: stack.push(bytes(u32()).slice()); break; // BINBYTES
      case 0x4e: stack.push(null); break;
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x52: { const args = pop(); const fn = pop(); stack.push(reduce(fn, args)); break; } // REDUCE
      case 0x81: { pop(); const cls = pop(); stack.push(new Opaque(cls instanceof Global ? cls.qualified : 'object')); break; } // NEWOBJ
      case 0x62: pop(); break; // BUILD: state is irrelevant for dicts and opaque objects
      case 0x51: stack.push(persistentLoad(pop())); break; // BINPERSID
      default:
        throw refuse(`unsupported pickle opcode 0x${op.toString(16)} at byte ${p - 1}`);
    }
  }
}
