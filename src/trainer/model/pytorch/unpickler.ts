// A restricted Python unpickler (protocols 1-5, binary opcodes). A pickle is a program: here it only builds
// data. Python objects become plain values (dict -> Map, list/tuple -> array, str -> string, bytes ->
// Uint8Array, int -> number or bigint); a GLOBAL resolves only through the caller's allow-list, and REDUCE /
// NEWOBJ / BUILD apply only to what that allow-list returned. Nothing from the file is ever called.

/** What an allowed global resolves to: a callable (REDUCE, NEWOBJ) whose result may later take a BUILD state. */
export interface PickleGlobal {
  readonly kind: 'global';
  readonly name: string;
  call(args: unknown[]): unknown;
}

/** An object made by a global that accepts `BUILD` (its `__setstate__`). */
export interface Buildable {
  setState(state: unknown): void;
}

export interface UnpickleOptions {
  /** module + '.' + name -> the global, or undefined to refuse it. */
  resolveGlobal(fullName: string): PickleGlobal | undefined;
  /** Called for BINPERSID (torch's storages). */
  persistentLoad?(pid: unknown): unknown;
}

export class UnpickleError extends Error {}

const decoder = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

export function isPickleGlobal(x: unknown): x is PickleGlobal {
  return (
    typeof x === 'object' &&
    x !== null &&
    (x as PickleGlobal).kind === 'global' &&
    typeof (x as PickleGlobal).call === 'function'
  );
}

function isBuildable(x: unknown): x is Buildable {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Buildable).setState === 'function' &&
    !(x instanceof Map) &&
    !Array.isArray(x)
  );
}

/**
 * Reads one pickle starting at `start`; returns the value and the offset just after its STOP (a legacy torch
 * file is several pickles in a row). Throws UnpickleError with a one-line message.
 */
export function unpickle(buf: Uint8Array, start: number, options: UnpickleOptions): { value: unknown; end: number } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = start;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number): number => {
    if (n < 0 || pos + n > buf.length)
      throw new UnpickleError(`pickle ends early (at byte ${buf.length}, needed ${n} more from ${pos})`);
    const p = pos;
    pos += n;
    return p;
  };
  const u8 = () => buf[need(1)]!;
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const i32 = () => view.getInt32(need(4), true);
  const u64 = () => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UnpickleError(`pickle length ${v} is too large`);
    return Number(v);
  };
  const bytes = (n: number) => buf.subarray(need(n), pos);
  const utf8 = (n: number) => {
    try {
      return decoder.decode(bytes(n));
    } catch {
      throw new UnpickleError(`invalid UTF-8 string at byte ${pos - n}`);
    }
  };
  /** Python 2 `str` (BINSTRING): torch.load decodes them as UTF-8, falling back to latin-1 like encoding='latin1'. */
  const pyString = (n: number) => {
    const b = bytes(n);
    try {
      return decoder.decode(b);
    } catch {
      return latin1.decode(b);
    }
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw new UnpickleError(`stack underflow at byte ${pos - 1}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw new UnpickleError(`empty stack at byte ${pos - 1}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) throw new UnpickleError(`no MARK for the opcode at byte ${pos - 1}`);
    stack = prev;
    return items;
  };
  // `stack.push(popMark())` would push onto the stack popMark just replaced: read `stack` after the pop.
  const push = (x: unknown) => stack.push(x);
  const memoGet = (i: number) => {
    if (!memo.has(i)) throw new UnpickleError(`memo entry ${i} is not defined`);
    stack.push(memo.get(i));
  };
  const global = (fullName: string) => {
    const g = options.resolveGlobal(fullName);
    if (!g) throw new UnpickleError(`refused global ${fullName}: not one that PyTorch checkpoints use`);
    stack.push(g);
  };
  const call = (fn: unknown, args: unknown, op: string) => {
    if (!isPickleGlobal(fn)) throw new UnpickleError(`${op} on something that is not an allowed global`);
    if (!Array.isArray(args)) throw new UnpickleError(`${op} of ${fn.name}: arguments are not a tuple`);
    stack.push(fn.call(args));
  };
  const asMap = (x: unknown, op: string): Map<unknown, unknown> => {
    if (!(x instanceof Map)) throw new UnpickleError(`${op} on something that is not a dict`);
    return x;
  };
  const asList = (x: unknown, op: string): unknown[] => {
    if (!Array.isArray(x)) throw new UnpickleError(`${op} on something that is not a list`);
    return x;
  };
  const setItems = (d: Map<unknown, unknown>, items: unknown[]) => {
    if (items.length % 2) throw new UnpickleError('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  };
  const longFromBytes = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: {
        // PROTO
        const v = u8();
        if (v > 5) throw new UnpickleError(`pickle protocol ${v} is newer than 5`);
        break;
      }
      case 0x95:
        need(8);
        break; // FRAME: a length hint only
      case 0x2e: {
        // STOP
        if (metastack.length) throw new UnpickleError('pickle stops inside a MARK');
        return { value: pop(), end: pos };
      }
      case 0x28:
        metastack.push(stack);
        stack = [];
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
        stack.push(longFromBytes(bytes(u8())));
        break; // LONG1
      case 0x8b: {
        // LONG4
        const n = i32();
        stack.push(longFromBytes(bytes(n)));
        break;
      }
      case 0x47:
        stack.push(view.getFloat64(need(8), false));
        break; // BINFLOAT (big-endian)
      case 0x54: {
        // BINSTRING
        const n = i32();
        stack.push(pyString(n));
        break;
      }
      case 0x55:
        stack.push(pyString(u8()));
        break; // SHORT_BINSTRING
      case 0x58:
        stack.push(utf8(u32()));
        break; // BINUNICODE
      case 0x8c:
        stack.push(utf8(u8()));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(utf8(u64()));
        break; // BINUNICODE8
      case 0x42:
        stack.push(bytes(u32()));
        break; // BINBYTES
      case 0x43:
        stack.push(bytes(u8()));
        break; // SHORT_BINBYTES
      case 0x8e:
        stack.push(bytes(u64()));
        break; // BINBYTES8
      case 0x96:
        stack.push(new Uint8Array(bytes(u64())));
        break; // BYTEARRAY8 (a copy: it is mutable)
      case 0x98:
        break; // READONLY_BUFFER: no-op on our bytes
      case 0x29:
        stack.push([]);
        break; // EMPTY_TUPLE
      case 0x74:
        push(popMark());
        break; // TUPLE
      case 0x85:
        stack.push([pop()]);
        break; // TUPLE1
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c:
        push(popMark());
        break; // LIST
      case 0x61: {
        // APPEND
        const v = pop();
        asList(top(), 'APPEND').push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        asList(top(), 'APPENDS').push(...items);
        break;
      }
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x64: {
        // DICT
        const d = new Map();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        asMap(top(), 'SETITEM').set(k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(asMap(top(), 'SETITEMS'), items);
        break;
      }
      case 0x8f:
        stack.push(new Set());
        break; // EMPTY_SET
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw new UnpickleError('ADDITEMS on something that is not a set');
        for (const i of items) s.add(i);
        break;
      }
      case 0x91:
        push(new Set(popMark()));
        break; // FROZENSET
      case 0x68:
        memoGet(u8());
        break; // BINGET
      case 0x6a:
        memoGet(u32());
        break; // LONG_BINGET
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x63:
        global(`${line()}.${line()}`);
        break; // GLOBAL
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new UnpickleError('STACK_GLOBAL needs two strings');
        global(`${module}.${name}`);
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        call(pop(), args, 'REDUCE');
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        call(pop(), args, 'NEWOBJ');
        break;
      }
      case 0x92: {
        // NEWOBJ_EX: keyword arguments are not used by any allowed global
        const kwargs = pop();
        const args = pop();
        if (!(kwargs instanceof Map) || kwargs.size) throw new UnpickleError('NEWOBJ_EX with keyword arguments');
        call(pop(), args, 'NEWOBJ_EX');
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        if (isBuildable(obj)) obj.setState(state);
        else if (!(obj instanceof Map)) throw new UnpickleError('BUILD on an object that takes no state');
        // A dict subclass's state is its __dict__ (OrderedDict's `_metadata` of a state_dict): not needed.
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) throw new UnpickleError('persistent id in a pickle that should have none');
        stack.push(options.persistentLoad(pid));
        break;
      }
      default:
        throw new UnpickleError(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
    }
  }

  /** A newline-terminated ASCII line (GLOBAL's module and name). */
  function line(): string {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) throw new UnpickleError('pickle ends inside a GLOBAL name');
    const s = latin1.decode(buf.subarray(pos, end));
    pos = end + 1;
    return s;
  }
}
