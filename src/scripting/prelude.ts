/*
 * The Lua side of the sandbox, run once per VM. It receives a table of JS-implemented functions and
 * builds what Redis 7.0 scripts see:
 * - Lua 5.1 names Redis scripts rely on, on top of Lua 5.4 (unpack, loadstring, table.getn, math.mod,
 *   ...); `load` only accepts source text, never precompiled chunks;
 * - no os/io/package/require/dofile/loadfile/print/debug;
 * - the `redis`, `bit` (LuaBitOp semantics over 5.4's integer operators), `cjson`, `cmsgpack` and
 *   `struct` tables;
 * - read-only globals: scripts run with an empty proxy environment whose metatable reads through to
 *   the real globals and refuses writes, and reading a missing global is an error, with Redis's
 *   wording; library tables are proxies the same way. JS sets KEYS/ARGV with raw sets on the real table.
 * - the error handler that turns every error into Redis's error table {err=, source=, line=}.
 * It returns the eval environment proxy, the function-library environment builder, the error
 * handler and the real globals table.
 */

export const PRELUDE = `
local J = ...
local G = _G
local dgetinfo = debug.getinfo
local rawload, setmt, getmt, rawget, rawset, type, error, tostring, pairs, next =
  load, setmetatable, getmetatable, rawget, rawset, type, error, tostring, pairs, next
local floor, tointeger, fmod = math.floor, math.tointeger, math.fmod

local function readonly_error() error('Attempt to modify a readonly table', 2) end

-- a read-only view of t: reads go through, writes fail, pairs lists t
local function protect(t)
  return setmt({}, {
    __index = t,
    __newindex = readonly_error,
    __pairs = function() return next, t, nil end,
    __len = function() return #t end,
    __metatable = false,
  })
end

-- Lua 5.1 names
unpack = table.unpack
table.getn = function(t) return #t end
table.setn = function() error("'setn' is obsolete", 2) end
table.maxn = function(t)
  local m = 0
  for k in next, t do if type(k) == 'number' and k > m then m = k end end
  return m
end
table.foreach = function(t, f) for k, v in next, t do local r = f(k, v) if r ~= nil then return r end end end
table.foreachi = function(t, f) for i = 1, #t do local r = f(i, t[i]) if r ~= nil then return r end end end
math.mod = fmod
math.pow = function(a, b) return a ^ b end
math.log10 = function(x) return math.log(x, 10) end
math.ldexp = function(m, e) return m * 2.0 ^ e end
math.frexp = function(x)
  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end
  local e = floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m = m / 2; e = e + 1 elseif math.abs(m) < 0.5 then m = m * 2; e = e - 1 end
  return m, e
end
math.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math.tanh = function(x) local a, b = math.exp(x), math.exp(-x) return (a - b) / (a + b) end
string.gfind = string.gmatch
gcinfo = function() return floor(collectgarbage('count')) end

-- the environment scripts see (set further down)
local ENV

load = function(chunk, name) return rawload(chunk, name, 't', ENV) end
loadstring = load

os, io, package, require, dofile, loadfile, print, debug, utf8, warn, rawlen = nil

-- Lua 5.1 prints integral floats without '.0' (tostring(10/2) is '5'); concatenation still shows
-- 5.4's spelling, which no library function can change
local rawtostring, mtype, sformat = tostring, math.type, string.format
tostring = function(v)
  if mtype(v) == 'float' and v == v and v ~= math.huge and v ~= -math.huge then return sformat('%.14g', v) end
  return rawtostring(v)
end

-- bit: LuaBitOp semantics (numbers normalised to signed 32-bit, results signed 32-bit)
local function tobit(x)
  local n = tointeger(x)
  if n == nil then
    x = tonumber(x)
    if x == nil then error('bad argument #1 (number expected)', 3) end
    n = floor(x + 0.5)
    if n ~= n or n == math.huge or n == -math.huge then n = 0 end
    n = tointeger(fmod(n, 4294967296)) or 0
  end
  n = n & 0xffffffff
  if n >= 0x80000000 then n = n - 0x100000000 end
  return n
end
local function u32(x) return tobit(x) & 0xffffffff end
local function s32(n) n = n & 0xffffffff if n >= 0x80000000 then n = n - 0x100000000 end return n end
bit = {
  tobit = function(x) return tobit(x) end,
  bnot = function(x) return s32(~u32(x)) end,
  band = function(x, ...) local r = u32(x) for i = 1, select('#', ...) do r = r & u32((select(i, ...))) end return s32(r) end,
  bor = function(x, ...) local r = u32(x) for i = 1, select('#', ...) do r = r | u32((select(i, ...))) end return s32(r) end,
  bxor = function(x, ...) local r = u32(x) for i = 1, select('#', ...) do r = r ~ u32((select(i, ...))) end return s32(r) end,
  lshift = function(x, n) return s32(u32(x) << (u32(n) & 31)) end,
  rshift = function(x, n) return s32(u32(x) >> (u32(n) & 31)) end,
  arshift = function(x, n) return s32(tobit(x) >> (u32(n) & 31)) end,
  rol = function(x, n) local v, s = u32(x), u32(n) & 31 return s32((v << s) | (v >> (32 - s))) end,
  ror = function(x, n) local v, s = u32(x), u32(n) & 31 return s32((v >> s) | (v << (32 - s))) end,
  bswap = function(x) local v = u32(x) return s32(((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24)) end,
  tohex = function(x, n)
    n = n == nil and 8 or tobit(n)
    local up = false
    if n < 0 then n = -n; up = true end
    if n > 8 then n = 8 end
    local v = u32(x)
    if n < 8 then v = v & ((1 << (4 * n)) - 1) end
    local s = string.format(up and '%0' .. n .. 'X' or '%0' .. n .. 'x', v)
    return s
  end,
}

cjson = { encode = J.cjson_encode, decode = J.cjson_decode, null = J.cjson_null,
  encode_keep_buffer = function() end, encode_max_depth = function() end, decode_max_depth = function() end,
  encode_number_precision = function() end, encode_invalid_numbers = function() end,
  decode_invalid_numbers = function() end, encode_sparse_array = function() end }
cmsgpack = { pack = J.msgpack_pack, unpack = J.msgpack_unpack,
  unpack_one = J.msgpack_unpack_one, unpack_limit = J.msgpack_unpack_limit }
struct = { pack = J.struct_pack, unpack = J.struct_unpack, size = J.struct_size }

local function error_reply(e)
  if type(e) ~= 'string' then error('wrong number or type of arguments', 2) end
  if e:sub(1, 1) == '-' then
    local sp = e:find(' ', 1, true)
    if sp then e = e:sub(2, sp - 1) .. ' ' .. e:sub(sp + 1) else e = 'ERR ' .. e:sub(2) end
  else
    e = 'ERR ' .. e
  end
  e = e:gsub('[\\r\\n]+$', '')
  return { err = e }
end
local function status_reply(s)
  if type(s) ~= 'string' then error('wrong number or type of arguments', 2) end
  return { ok = s }
end

local consts = {
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
  REDIS_VERSION = J.version, REDIS_VERSION_NUM = J.version_num,
}
-- the API scripts and functions run with
local api = {
  call = J.call, pcall = J.pcall, sha1hex = J.sha1hex, log = J.log, setresp = J.setresp,
  set_repl = J.set_repl, error_reply = error_reply, status_reply = status_reply,
  replicate_commands = function() return true end,
  breakpoint = function() return false end, debug = function() end,
  acl_check_cmd = J.acl_check_cmd,
}
for k, v in pairs(consts) do api[k] = v end
redis = protect(api)

-- the API a function library sees while it loads
local load_api = { register_function = J.register_function, log = J.log, setresp = J.setresp }
for k, v in pairs(consts) do load_api[k] = v end

for _, name in ipairs({ 'string', 'table', 'math', 'coroutine', 'bit', 'cjson', 'cmsgpack', 'struct' }) do
  G[name] = protect(G[name])
end

setmt(G, {
  __index = function(_, k) error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end,
  __newindex = readonly_error,
})
ENV = protect(G)
rawset(G, '_G', ENV)

-- function libraries: their own globals, reading through to G; 'redis' is the load-time API while
-- the library's code runs, the full API when its functions are called
local function library_env()
  local lib_api = { value = load_api }
  local L = setmt({}, {
    __index = function(_, k)
      if k == 'redis' then return lib_api.value end
      return G[k]
    end,
    __newindex = readonly_error,
    __metatable = false,
  })
  return L, function() lib_api.value = redis end
end

-- Redis's error handler: every error becomes {err=..., source=..., line=...}
local function handler(err)
  -- the frame that raised it: skip C functions and the sandbox's own metamethods
  local level, i = 2, nil
  repeat
    i = dgetinfo(level, 'Sl')
    level = level + 1
  until i == nil or (i.what ~= 'C' and i.source ~= '=prelude')
  if type(err) ~= 'table' then err = { err = 'ERR ' .. tostring(err) } end
  if i and err.source == nil then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end

rawset(G, '__redis__err__handler', handler)
return ENV, handler, G, library_env
`;
