/*
 * The C libraries Redis links into its Lua, rewritten in JS against their documented behaviour:
 * cjson (lua-cjson: encode/decode, cjson.null), cmsgpack (lua-cmsgpack: pack/unpack/unpack_one/
 * unpack_limit) and struct (pack/unpack/size). Lua values are read off the stack into a small JS
 * model (LuaVal) and built back from it; strings stay latin1 (bytes) throughout, so binary data and
 * UTF-8 survive untouched.
 */

import type { ScriptEngine } from './engine';
import { T_BOOLEAN, T_LIGHTUSERDATA, T_NUMBER, T_STRING, T_TABLE } from './lua';

type JsFn = (L: number) => number;

/** A Lua value read into JS: null is nil, NULL is cjson.null, numbers keep integer-ness. */
type LuaVal = null | typeof NULL | boolean | LuaInt | number | string | LuaTable | LuaOther;
const NULL = Symbol('null');
class LuaInt {
  constructor(readonly v: bigint) {}
}
class LuaTable {
  constructor(readonly entries: [LuaVal, LuaVal][]) {}
}
class LuaOther {
  constructor(readonly type: string) {}
}

const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];

function read(e: ScriptEngine, L: number, idx: number, depth: number): LuaVal {
  const m = e.m;
  const t = m._lua_type(L, idx);
  switch (t) {
    case T_BOOLEAN:
      return m._lua_toboolean(L, idx) !== 0;
    case T_NUMBER:
      return m._lua_isinteger(L, idx) !== 0 ? new LuaInt(m._lua_tointegerx(L, idx, 0)) : m._lua_tonumberx(L, idx, 0);
    case T_STRING:
      return e.str.get(L, idx)!;
    case T_LIGHTUSERDATA:
      return m._lua_touserdata(L, idx) === 0 ? NULL : new LuaOther('userdata');
    case T_TABLE: {
      if (depth > 1000) return new LuaOther('deep');
      const abs = idx < 0 ? m._lua_gettop(L) + idx + 1 : idx;
      const entries: [LuaVal, LuaVal][] = [];
      m._lua_checkstack(L, 4);
      m._lua_pushnil(L);
      while (m._lua_next(L, abs) !== 0) {
        const top = m._lua_gettop(L);
        entries.push([read(e, L, top - 1, depth + 1), read(e, L, top, depth + 1)]);
        m._lua_settop(L, -2);
      }
      return new LuaTable(entries);
    }
    default:
      return t < 0 ? null : new LuaOther(TYPE_NAMES[t] ?? 'userdata');
  }
}

function push(e: ScriptEngine, L: number, v: LuaVal): void {
  const m = e.m;
  if (v === null) m._lua_pushnil(L);
  else if (v === NULL) m._lua_pushlightuserdata(L, 0);
  else if (typeof v === 'boolean') m._lua_pushboolean(L, v ? 1 : 0);
  else if (typeof v === 'number') m._lua_pushnumber(L, v);
  else if (typeof v === 'string') e.str.push(L, v);
  else if (v instanceof LuaInt) m._lua_pushinteger(L, v.v);
  else if (v instanceof LuaTable) {
    m._lua_checkstack(L, 4);
    m._lua_createtable(L, 0, v.entries.length);
    for (const [k, val] of v.entries) {
      push(e, L, k);
      push(e, L, val);
      m._lua_rawset(L, -3);
    }
  } else m._lua_pushnil(L);
}

/** A number pushed back as an integer when it is one (as Lua 5.1 would print it). */
function num(d: number): LuaVal {
  return Number.isInteger(d) && Math.abs(d) < 2 ** 53 ? new LuaInt(BigInt(d)) : d;
}

function asNumber(v: LuaVal): number | null {
  if (typeof v === 'number') return v;
  if (v instanceof LuaInt) return Number(v.v);
  return null;
}

/** Positive integer keys 1..max of a table, or null when it is not an array (lua-cjson's test). */
function arrayLength(t: LuaTable): number | null {
  let max = 0;
  for (const [k] of t.entries) {
    const n = asNumber(k);
    if (n === null || !Number.isInteger(n) || n < 1) return null;
    if (n > max) max = n;
  }
  return max;
}

// ---------------------------------------------------------------- cjson

function fmt14(d: number): string {
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const exp = d.toExponential(13);
  const ei = exp.indexOf('e');
  const x = parseInt(exp.slice(ei + 1), 10);
  if (x < -4 || x >= 14) {
    let mant = exp.slice(0, ei);
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const ax = Math.abs(x);
    return `${mant}e${x < 0 ? '-' : '+'}${ax < 10 ? '0' + ax : ax}`;
  }
  let f = d.toFixed(Math.max(0, 13 - x));
  if (f.includes('.')) f = f.replace(/0+$/, '').replace(/\.$/, '');
  return f;
}

const JSON_ESC: string[] = [];
for (let i = 0; i < 32; i++) JSON_ESC[i] = '\\u' + i.toString(16).padStart(4, '0');
JSON_ESC[8] = '\\b';
JSON_ESC[9] = '\\t';
JSON_ESC[10] = '\\n';
JSON_ESC[12] = '\\f';
JSON_ESC[13] = '\\r';
JSON_ESC[34] = '\\"';
JSON_ESC[47] = '\\/';
JSON_ESC[92] = '\\\\';
JSON_ESC[127] = '\\u007f';

function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const esc = JSON_ESC[ch];
    out += esc !== undefined ? esc : s[i];
  }
  return out + '"';
}

class JsonError extends Error {}

function encodeJson(v: LuaVal, depth: number): string {
  if (v === null || v === NULL) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return jsonString(v);
  if (v instanceof LuaInt) return v.v.toString();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new JsonError('Cannot serialise number: must not be NaN or Inf');
    return fmt14(v);
  }
  if (v instanceof LuaTable) {
    if (depth > 1000) throw new JsonError(`Cannot serialise, excessive nesting (${depth})`);
    const len = arrayLength(v);
    if (len !== null && len > 0) {
      if (len > v.entries.length * 2 && len > 10) throw new JsonError('Cannot serialise table: excessively sparse array');
      const items: string[] = new Array<string>(len).fill('null');
      for (const [k, val] of v.entries) items[asNumber(k)! - 1] = encodeJson(val, depth + 1);
      return '[' + items.join(',') + ']';
    }
    const parts: string[] = [];
    for (const [k, val] of v.entries) {
      let key: string;
      if (typeof k === 'string') key = k;
      else if (k instanceof LuaInt) key = k.v.toString();
      else if (typeof k === 'number') key = fmt14(k);
      else throw new JsonError(`Cannot serialise ${luaTypeName(k)}: table key must be a number or string`);
      parts.push(jsonString(key) + ':' + encodeJson(val, depth + 1));
    }
    return '{' + parts.join(',') + '}';
  }
  if (v.type === 'deep') throw new JsonError('Cannot serialise, excessive nesting (1001)');
  throw new JsonError(`Cannot serialise ${v.type}: type not supported`);
}

function luaTypeName(v: LuaVal): string {
  if (typeof v === 'boolean') return 'boolean';
  if (v instanceof LuaTable) return 'table';
  if (v instanceof LuaOther) return v.type;
  return 'nil';
}

/** A JSON parser over bytes (latin1): strings keep their bytes; \u escapes become UTF-8. */
class JsonParser {
  pos = 0;
  constructor(readonly s: string) {}

  fail(what: string): never {
    throw new JsonError(`Expected ${what} but found ${this.tokenName()} at character ${this.pos + 1}`);
  }

  /** The name lua-cjson gives the token at pos. */
  private tokenName(): string {
    const s = this.s;
    const c = s[this.pos];
    if (c === undefined) return 'T_END';
    const simple: Record<string, string> = { '{': 'T_OBJ_BEGIN', '}': 'T_OBJ_END', '[': 'T_ARR_BEGIN', ']': 'T_ARR_END', ',': 'T_COMMA', ':': 'T_COLON', '"': 'T_STRING' };
    if (simple[c] !== undefined) return simple[c]!;
    if (s.startsWith('true', this.pos) || s.startsWith('false', this.pos)) return 'T_BOOLEAN';
    if (s.startsWith('null', this.pos)) return 'T_NULL';
    if (c === '-' || (c >= '0' && c <= '9')) return 'T_NUMBER';
    return 'invalid token';
  }

  ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else break;
    }
  }

  value(depth: number): LuaVal {
    if (depth > 1000) throw new JsonError(`Found too many nested data structures (${depth}) at character ${this.pos + 1}`);
    this.ws();
    const s = this.s;
    const c = s[this.pos];
    if (c === '{') {
      this.pos++;
      const entries: [LuaVal, LuaVal][] = [];
      this.ws();
      if (s[this.pos] === '}') {
        this.pos++;
        return new LuaTable(entries);
      }
      for (;;) {
        this.ws();
        if (s[this.pos] !== '"') this.fail('object key string');
        const k = this.string();
        this.ws();
        if (s[this.pos] !== ':') this.fail('colon');
        this.pos++;
        entries.push([k, this.value(depth + 1)]);
        this.ws();
        if (s[this.pos] === ',') this.pos++;
        else if (s[this.pos] === '}') {
          this.pos++;
          return new LuaTable(entries);
        } else this.fail('comma or object end');
      }
    }
    if (c === '[') {
      this.pos++;
      const entries: [LuaVal, LuaVal][] = [];
      this.ws();
      if (s[this.pos] === ']') {
        this.pos++;
        return new LuaTable(entries);
      }
      for (let i = 1; ; i++) {
        entries.push([new LuaInt(BigInt(i)), this.value(depth + 1)]);
        this.ws();
        if (s[this.pos] === ',') this.pos++;
        else if (s[this.pos] === ']') {
          this.pos++;
          return new LuaTable(entries);
        } else this.fail('comma or array end');
      }
    }
    if (c === '"') return this.string();
    if (s.startsWith('true', this.pos)) {
      this.pos += 4;
      return true;
    }
    if (s.startsWith('false', this.pos)) {
      this.pos += 5;
      return false;
    }
    if (s.startsWith('null', this.pos)) {
      this.pos += 4;
      return NULL;
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(s.slice(this.pos, this.pos + 400));
    if (m === null || m[0] === '' || m[0] === '-') this.fail('value');
    this.pos += m[0].length;
    return num(Number(m[0]));
  }

  string(): string {
    const s = this.s;
    this.pos++;
    let out = '';
    for (;;) {
      if (this.pos >= s.length) this.fail('string end');
      const ch = s[this.pos]!;
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '\\') {
        const n = s[this.pos + 1];
        this.pos += 2;
        switch (n) {
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            let cp = parseInt(s.slice(this.pos, this.pos + 4), 16);
            if (Number.isNaN(cp)) this.fail('escape sequence');
            this.pos += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && s[this.pos] === '\\' && s[this.pos + 1] === 'u') {
              const lo = parseInt(s.slice(this.pos + 2, this.pos + 6), 16);
              if (lo >= 0xdc00 && lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                this.pos += 6;
              }
            }
            out += Buffer.from(String.fromCodePoint(cp), 'utf8').toString('latin1');
            break;
          }
          case '"': case '\\': case '/':
            out += n;
            break;
          default:
            this.fail('escape sequence');
        }
        continue;
      }
      out += ch;
      this.pos++;
    }
  }
}

// ---------------------------------------------------------------- cmsgpack

function packValue(v: LuaVal, out: number[], depth: number): void {
  if (v === null || v === NULL || v instanceof LuaOther) {
    out.push(0xc0);
    return;
  }
  if (typeof v === 'boolean') {
    out.push(v ? 0xc3 : 0xc2);
    return;
  }
  if (v instanceof LuaInt || (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 63)) {
    packInt(v instanceof LuaInt ? v.v : BigInt(v), out);
    return;
  }
  if (typeof v === 'number') {
    const f = Math.fround(v);
    if (f === v || Number.isNaN(v)) {
      const b = Buffer.alloc(4);
      b.writeFloatBE(v);
      out.push(0xca, ...b);
    } else {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v);
      out.push(0xcb, ...b);
    }
    return;
  }
  if (typeof v === 'string') {
    const n = v.length;
    if (n < 32) out.push(0xa0 | n);
    else if (n <= 0xff) out.push(0xd9, n);
    else if (n <= 0xffff) out.push(0xda, n >> 8, n & 0xff);
    else out.push(0xdb, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    for (let i = 0; i < n; i++) out.push(v.charCodeAt(i));
    return;
  }
  if (depth >= 16) {
    out.push(0xc0);
    return;
  }
  const len = arrayLength(v);
  if (len !== null && len === v.entries.length) {
    header(out, len, 0x90, 0xdc, 0xdd);
    const items: LuaVal[] = new Array<LuaVal>(len).fill(null);
    for (const [k, val] of v.entries) items[asNumber(k)! - 1] = val;
    for (const it of items) packValue(it, out, depth + 1);
    return;
  }
  header(out, v.entries.length, 0x80, 0xde, 0xdf);
  for (const [k, val] of v.entries) {
    packValue(k, out, depth + 1);
    packValue(val, out, depth + 1);
  }
}

function header(out: number[], n: number, fix: number, b16: number, b32: number): void {
  if (n < 16) out.push(fix | n);
  else if (n <= 0xffff) out.push(b16, n >> 8, n & 0xff);
  else out.push(b32, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

function packInt(n: bigint, out: number[]): void {
  const b = Buffer.alloc(8);
  if (n >= 0n) {
    if (n < 128n) out.push(Number(n));
    else if (n < 256n) out.push(0xcc, Number(n));
    else if (n < 65536n) out.push(0xcd, Number(n >> 8n), Number(n & 0xffn));
    else if (n < 4294967296n) {
      b.writeUInt32BE(Number(n));
      out.push(0xce, ...b.subarray(0, 4));
    } else {
      b.writeBigUInt64BE(n);
      out.push(0xcf, ...b);
    }
  } else if (n >= -32n) out.push(Number(n) & 0xff);
  else if (n >= -128n) out.push(0xd0, Number(n) & 0xff);
  else if (n >= -32768n) {
    b.writeInt16BE(Number(n));
    out.push(0xd1, ...b.subarray(0, 2));
  } else if (n >= -2147483648n) {
    b.writeInt32BE(Number(n));
    out.push(0xd2, ...b.subarray(0, 4));
  } else {
    b.writeBigInt64BE(n);
    out.push(0xd3, ...b);
  }
}

class MsgpackError extends Error {}

/** Decodes one value at pos of the bytes in b. */
class Unpacker {
  pos = 0;
  constructor(readonly b: Buffer) {}

  need(n: number): void {
    if (this.pos + n > this.b.length) throw new MsgpackError('Missing bytes in input.');
  }

  str(n: number): string {
    this.need(n);
    const s = this.b.toString('latin1', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  table(n: number, map: boolean): LuaTable {
    const entries: [LuaVal, LuaVal][] = [];
    for (let i = 0; i < n; i++) {
      if (map) {
        const k = this.value();
        entries.push([k, this.value()]);
      } else entries.push([new LuaInt(BigInt(i + 1)), this.value()]);
    }
    return new LuaTable(entries);
  }

  value(): LuaVal {
    this.need(1);
    const b = this.b;
    const t = b[this.pos++]!;
    if (t < 0x80) return new LuaInt(BigInt(t));
    if (t >= 0xe0) return new LuaInt(BigInt(t - 256));
    if ((t & 0xf0) === 0x80) return this.table(t & 0x0f, true);
    if ((t & 0xf0) === 0x90) return this.table(t & 0x0f, false);
    if ((t & 0xe0) === 0xa0) return this.str(t & 0x1f);
    const rd = (n: number): number => {
      this.need(n);
      const p = this.pos;
      this.pos += n;
      return p;
    };
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: case 0xd9: return this.str(b[rd(1)]!);
      case 0xc5: case 0xda: return this.str(b.readUInt16BE(rd(2)));
      case 0xc6: case 0xdb: return this.str(b.readUInt32BE(rd(4)));
      case 0xca: return b.readFloatBE(rd(4));
      case 0xcb: return b.readDoubleBE(rd(8));
      case 0xcc: return new LuaInt(BigInt(b[rd(1)]!));
      case 0xcd: return new LuaInt(BigInt(b.readUInt16BE(rd(2))));
      case 0xce: return new LuaInt(BigInt(b.readUInt32BE(rd(4))));
      case 0xcf: return new LuaInt(BigInt.asIntN(64, b.readBigUInt64BE(rd(8))));
      case 0xd0: return new LuaInt(BigInt(b.readInt8(rd(1))));
      case 0xd1: return new LuaInt(BigInt(b.readInt16BE(rd(2))));
      case 0xd2: return new LuaInt(BigInt(b.readInt32BE(rd(4))));
      case 0xd3: return new LuaInt(b.readBigInt64BE(rd(8)));
      case 0xdc: return this.table(b.readUInt16BE(rd(2)), false);
      case 0xdd: return this.table(b.readUInt32BE(rd(4)), false);
      case 0xde: return this.table(b.readUInt16BE(rd(2)), true);
      case 0xdf: return this.table(b.readUInt32BE(rd(4)), true);
      default:
        throw new MsgpackError('Bad data format in input.');
    }
  }
}

// ---------------------------------------------------------------- struct

interface StructItem { code: string; size: number; little: boolean }

function structItems(fmt: string): StructItem[] | string {
  const items: StructItem[] = [];
  let little = true;
  for (let i = 0; i < fmt.length; i++) {
    const code = fmt[i]!;
    let j = i + 1;
    while (j < fmt.length && fmt[j]! >= '0' && fmt[j]! <= '9') j++;
    const digits = fmt.slice(i + 1, j);
    const n = digits === '' ? -1 : Number(digits);
    i = j - 1;
    switch (code) {
      case ' ': break;
      case '<': case '=': little = true; break;
      case '>': little = false; break;
      case '!': break;
      case 'x': items.push({ code, size: 1, little }); break;
      case 'b': case 'B': items.push({ code, size: 1, little }); break;
      case 'h': case 'H': items.push({ code, size: 2, little }); break;
      case 'l': case 'L': case 'T': items.push({ code, size: 8, little }); break;
      case 'i': case 'I': items.push({ code, size: n === -1 ? 4 : n, little }); break;
      case 'f': items.push({ code, size: 4, little }); break;
      case 'd': items.push({ code, size: 8, little }); break;
      case 's': items.push({ code, size: 0, little }); break;
      case 'c': items.push({ code, size: n === -1 ? 1 : n, little }); break;
      default:
        return `invalid format option '${code}'`;
    }
    if ((code === 'i' || code === 'I') && (n === 0 || n > 8)) return `integral size ${n} is larger than limit of 8`;
  }
  return items;
}

function intBytes(v: bigint, size: number, little: boolean): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) {
    out.push(Number(x & 0xffn));
    x >>= 8n;
  }
  return little ? out : out.reverse();
}

// ---------------------------------------------------------------- registration

export function installLibs(e: ScriptEngine): Record<string, JsFn> {
  const m = e.m;
  const argError = (L: number, msg: string): number => e.raiseWhere(L, msg);
  return {
    cjson_encode: (L) => {
      if (m._lua_gettop(L) !== 1) return argError(L, 'bad argument #1 to \'encode\' (expected 1 argument)');
      let out: string;
      try {
        out = encodeJson(read(e, L, 1, 0), 0);
      } catch (err) {
        if (err instanceof JsonError) return argError(L, err.message);
        throw err;
      }
      e.str.push(L, out);
      return 1;
    },
    cjson_decode: (L) => {
      if (m._lua_gettop(L) !== 1) return argError(L, 'bad argument #1 to \'decode\' (expected 1 argument)');
      const text = e.str.get(L, 1);
      if (text === null) return argError(L, 'bad argument #1 to \'decode\' (string expected)');
      let v: LuaVal;
      try {
        const p = new JsonParser(text);
        v = p.value(1);
        p.ws();
        if (p.pos < text.length) p.fail('the end');
      } catch (err) {
        if (err instanceof JsonError) return argError(L, err.message);
        throw err;
      }
      push(e, L, v);
      return 1;
    },
    msgpack_pack: (L) => {
      const n = m._lua_gettop(L);
      if (n === 0) return argError(L, "bad argument #0 to 'pack' (MessagePack pack needs input.)");
      const out: number[] = [];
      for (let i = 1; i <= n; i++) packValue(read(e, L, i, 0), out, 0);
      e.str.pushBytes(L, Uint8Array.from(out));
      return 1;
    },
    msgpack_unpack: (L) => unpack(e, L, 'all'),
    msgpack_unpack_one: (L) => unpack(e, L, 'one'),
    msgpack_unpack_limit: (L) => unpack(e, L, 'limit'),
    struct_pack: (L) => {
      const fmt = e.str.get(L, 1);
      if (fmt === null) return argError(L, "bad argument #1 to 'pack' (string expected)");
      const items = structItems(fmt);
      if (typeof items === 'string') return argError(L, items.startsWith('invalid format') ? `bad argument #1 to 'pack' (${items})` : items);
      const out: number[] = [];
      let arg = 2;
      for (const it of items) {
        if (it.code === 'x') {
          out.push(0);
          continue;
        }
        if (it.code === 's' || it.code === 'c') {
          const sv = e.str.get(L, arg++);
          if (sv === null) return argError(L, `bad argument #${arg - 1} to 'pack' (string expected)`);
          const len = it.code === 'c' && it.size > 0 ? it.size : sv.length;
          for (let i = 0; i < len; i++) out.push(i < sv.length ? sv.charCodeAt(i) : 0);
          if (it.code === 's') out.push(0);
          continue;
        }
        if (m._lua_type(L, arg) !== T_NUMBER) return argError(L, `bad argument #${arg} to 'pack' (number expected)`);
        if (it.code === 'f' || it.code === 'd') {
          const b = Buffer.alloc(it.size);
          const d = m._lua_tonumberx(L, arg++, 0);
          if (it.code === 'f') {
            if (it.little) b.writeFloatLE(d);
            else b.writeFloatBE(d);
          } else if (it.little) b.writeDoubleLE(d);
          else b.writeDoubleBE(d);
          out.push(...b);
          continue;
        }
        const v = m._lua_isinteger(L, arg) !== 0 ? m._lua_tointegerx(L, arg, 0) : BigInt(Math.trunc(m._lua_tonumberx(L, arg, 0)));
        arg++;
        out.push(...intBytes(v, it.size, it.little));
      }
      e.str.pushBytes(L, Uint8Array.from(out));
      return 1;
    },
    struct_unpack: (L) => {
      const fmt = e.str.get(L, 1);
      const data = e.str.get(L, 2);
      if (fmt === null) return argError(L, "bad argument #1 to 'unpack' (string expected)");
      if (data === null) return argError(L, "bad argument #2 to 'unpack' (string expected)");
      let pos = m._lua_type(L, 3) === T_NUMBER ? Number(m._lua_tointegerx(L, 3, 0)) - 1 : 0;
      const items = structItems(fmt);
      if (typeof items === 'string') return argError(L, items.startsWith('invalid format') ? `bad argument #1 to 'unpack' (${items})` : items);
      const buf = Buffer.from(data, 'latin1');
      let n = 0;
      let lastLen = -1;
      for (const it of items) {
        if (it.code === 'x') {
          pos++;
          continue;
        }
        if (it.code === 's') {
          const end = buf.indexOf(0, pos);
          if (end === -1) return argError(L, "bad argument #2 to 'unpack' (unfinished string in data)");
          e.str.push(L, buf.toString('latin1', pos, end));
          pos = end + 1;
          n++;
          continue;
        }
        if (it.code === 'c') {
          let len = it.size;
          if (len === 0 && lastLen >= 0) len = lastLen;
          if (pos + len > buf.length) return argError(L, "bad argument #2 to 'unpack' (data string too short)");
          e.str.push(L, buf.toString('latin1', pos, pos + len));
          pos += len;
          n++;
          continue;
        }
        if (pos + it.size > buf.length) return argError(L, "bad argument #2 to 'unpack' (data string too short)");
        if (it.code === 'f') m._lua_pushnumber(L, it.little ? buf.readFloatLE(pos) : buf.readFloatBE(pos));
        else if (it.code === 'd') m._lua_pushnumber(L, it.little ? buf.readDoubleLE(pos) : buf.readDoubleBE(pos));
        else {
          let v = 0n;
          for (let i = 0; i < it.size; i++) {
            const byte = buf[it.little ? pos + it.size - 1 - i : pos + i]!;
            v = (v << 8n) | BigInt(byte);
          }
          const signed = it.code === 'b' || it.code === 'h' || it.code === 'l' || it.code === 'i';
          if (signed) v = BigInt.asIntN(it.size * 8, v);
          lastLen = Number(v);
          m._lua_pushinteger(L, BigInt.asIntN(64, v));
        }
        pos += it.size;
        n++;
      }
      m._lua_pushinteger(L, BigInt(pos + 1));
      return n + 1;
    },
    struct_size: (L) => {
      const fmt = e.str.get(L, 1);
      if (fmt === null) return argError(L, "bad argument #1 to 'size' (string expected)");
      const items = structItems(fmt);
      if (typeof items === 'string') return argError(L, items.startsWith('invalid format') ? `bad argument #1 to 'size' (${items})` : items);
      let size = 0;
      for (const it of items) {
        if (it.code === 's') return argError(L, "bad argument #1 to 'size' (option 's' has no fixed size)");
        if (it.code === 'c' && it.size === 0) return argError(L, "options 'c0' - 's' have undefined sizes");
        size += it.size;
      }
      m._lua_pushinteger(L, BigInt(size));
      return 1;
    },
  };
}

function unpack(e: ScriptEngine, L: number, mode: 'all' | 'one' | 'limit'): number {
  const m = e.m;
  const data = e.str.get(L, 1);
  if (data === null) return e.raiseWhere(L, "bad argument #1 to 'unpack' (string expected)");
  let limit = 0;
  let offset = 0;
  if (mode === 'one') offset = m._lua_type(L, 2) === T_NUMBER ? Number(m._lua_tointegerx(L, 2, 0)) : 0;
  if (mode === 'limit') {
    limit = m._lua_type(L, 2) === T_NUMBER ? Number(m._lua_tointegerx(L, 2, 0)) : 0;
    offset = m._lua_type(L, 3) === T_NUMBER ? Number(m._lua_tointegerx(L, 3, 0)) : 0;
  }
  if (mode === 'one') limit = 1;
  if (offset < 0 || limit < 0) return e.raiseWhere(L, `Invalid request to unpack with offset of ${offset} and limit of ${limit}.`);
  const u = new Unpacker(Buffer.from(data, 'latin1'));
  u.pos = offset;
  const values: LuaVal[] = [];
  try {
    while (u.pos < u.b.length && (limit === 0 || values.length < limit)) values.push(u.value());
  } catch (err) {
    if (err instanceof MsgpackError) return e.raiseWhere(L, err.message);
    throw err;
  }
  m._lua_checkstack(L, values.length + 2);
  if (mode !== 'all') m._lua_pushinteger(L, BigInt(u.pos >= u.b.length ? -1 : u.pos));
  for (const v of values) push(e, L, v);
  return values.length + (mode !== 'all' ? 1 : 0);
}
