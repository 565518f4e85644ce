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
local rawset_, gsub = rawset, string.gsub

local function readonly_error() error('Attempt to modify a readonly table', 2) end

-- the read-only proxies: rawset/setmetatable on them fail as on Redis's readonly tables
local protected = setmt({}, { __mode = 'k' })
local rawsetmt = setmt
G.rawset = function(t, k, v)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return rawset_(t, k, v)
end
G.setmetatable = function(t, mt)
  if protected[t] then error('Attempt to modify a readonly table', 0) end
  return rawsetmt(t, mt)
end

-- a read-only view of t: reads go through, writes fail, pairs lists t
local function protect(t)
  local p = setmt({}, {
    __index = t,
    __newindex = readonly_error,
    __pairs = function() return next, t, nil end,
    __len = function() return #t end,
    __metatable = false,
  })
  protected[p] = true
  return p
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
local rawtostring, mtype, sformat, tointeger_, huge = tostring, math.type, string.format, math.tointeger, math.huge
local function tostring51(v)
  if mtype(v) == 'float' and v == v and v ~= huge and v ~= -huge then return sformat('%.14g', v) end
  return rawtostring(v)
end
G.tostring = tostring51
tostring = tostring51
_VERSION = 'Lua 5.1'

-- error(): 5.1 adds the position to number messages too (5.4 only to strings); the wrapper is one
-- more frame, so a level > 0 is shifted by one (no tail call, which would drop the frame)
local rawerror = error
G.error = function(m, l)
  if mtype(m) ~= nil then m = tostring51(m) end
  l = l or 1
  if l > 0 then l = l + 1 end
  rawerror(m, l)
end

-- string.format: 5.1 truncates floats given to integer conversions where 5.4 refuses them
local rawformat = string.format
string.format = function(fmt, ...)
  local n = select('#', ...)
  if type(fmt) ~= 'string' or n == 0 then return rawformat(fmt, ...) end
  -- the common case (no float with a fraction among the arguments) goes straight through
  local frac = false
  for j = 1, n do
    local a = select(j, ...)
    if mtype(a) == 'float' and a ~= floor(a) then frac = true break end
  end
  if not frac then return rawformat(fmt, ...) end
  local args = { ... }
  local i = 0
  for flags, conv in fmt:gmatch('%%([-+ #0]*%d*%.?%d*)([%a%%])') do
    if conv ~= '%' then
      i = i + 1
      local a = args[i]
      if mtype(a) == 'float' and (conv == 'd' or conv == 'i' or conv == 'c' or conv == 'o' or conv == 'u' or conv == 'x' or conv == 'X')
        and a == a and a ~= huge and a ~= -huge then
        local t = a >= 0 and floor(a) or -floor(-a)
        args[i] = tointeger_(t) or t
      end
    end
  end
  return rawformat(fmt, table.unpack(args, 1, n))
end

-- bit: LuaBitOp semantics (numbers normalised to signed 32-bit, results signed 32-bit); argument
-- errors name the bit function as luaL_checknumber does
local function tobit(x, i, fname)
  local n = tointeger(x)
  if n == nil then
    local d = tonumber(x)
    if type(x) ~= 'number' and type(x) ~= 'string' or d == nil then
      local got = x == nil and 'no value' or type(x)
      local l = 2
      while true do
        local info = dgetinfo(l, 'S')
        if info == nil or (info.what ~= 'C' and info.source ~= '=prelude') then break end
        l = l + 1
      end
      error("bad argument #" .. i .. " to '" .. fname .. "' (number expected, got " .. got .. ")", l)
    end
    -- LuaBitOp adds 2^52+2^51: rounds half to even, then keeps the low 32 bits
    d = (d + 6755399441055744.0) - 6755399441055744.0
    if d ~= d or d == math.huge or d == -math.huge then d = 0 end
    n = tointeger(fmod(d, 4294967296)) or 0
  end
  n = n & 0xffffffff
  if n >= 0x80000000 then n = n - 0x100000000 end
  return n
end
local function u32(x, i, f) return tobit(x, i, f) & 0xffffffff end
local function s32(n) n = n & 0xffffffff if n >= 0x80000000 then n = n - 0x100000000 end return n end
local function fold(fname, op)
  return function(x, ...)
    local r = u32(x, 1, fname)
    for i = 1, select('#', ...) do r = op(r, u32((select(i, ...)), i + 1, fname)) end
    return s32(r)
  end
end
bit = {
  tobit = function(x) return tobit(x, 1, 'tobit') end,
  bnot = function(x) return s32(~u32(x, 1, 'bnot')) end,
  band = fold('band', function(a, b) return a & b end),
  bor = fold('bor', function(a, b) return a | b end),
  bxor = fold('bxor', function(a, b) return a ~ b end),
  lshift = function(x, n) return s32(u32(x, 1, 'lshift') << (u32(n, 2, 'lshift') & 31)) end,
  rshift = function(x, n) return s32(u32(x, 1, 'rshift') >> (u32(n, 2, 'rshift') & 31)) end,
  arshift = function(x, n) return s32(tobit(x, 1, 'arshift') >> (u32(n, 2, 'arshift') & 31)) end,
  rol = function(x, n) local v, s = u32(x, 1, 'rol'), u32(n, 2, 'rol') & 31 return s32((v << s) | (v >> (32 - s))) end,
  ror = function(x, n) local v, s = u32(x, 1, 'ror'), u32(n, 2, 'ror') & 31 return s32((v >> s) | (v << (32 - s))) end,
  bswap = function(x) local v = u32(x, 1, 'bswap') return s32(((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24)) end,
  tohex = function(x, n)
    n = n == nil and 8 or tobit(n, 2, 'tohex')
    local up = false
    if n < 0 then n = -n; up = true end
    if n > 8 then n = 8 end
    local v = u32(x, 1, 'tohex')
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
local load_api = {
  register_function = J.register_function, log = J.log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = J.version, REDIS_VERSION_NUM = J.version_num,
}

for _, name in ipairs({ 'string', 'table', 'math', 'coroutine', 'bit', 'cjson', 'cmsgpack', 'struct' }) do
  G[name] = protect(G[name])
end
-- ('x'):upper() and getmetatable('').__index see the same (protected) string table
getmt('').__index = G.string

-- pcall/xpcall hand the script 5.1-style runtime error messages too
local function lua51(msg)
  if type(msg) ~= 'string' then return msg end
  return (gsub(msg, "attempt to ([%w ]-) a (%w+) value %((%w+) '([^']*)'%)", "attempt to %1 %3 '%4' (a %2 value)"))
end
local rawpcall, rawxpcall = pcall, xpcall
local function fixp(ok, ...)
  if ok then return ok, ... end
  return ok, lua51((...))
end
G.pcall = function(f, ...) return fixp(rawpcall(f, ...)) end
G.xpcall = function(f, h, ...) return rawxpcall(f, function(e) return h(lua51(e)) end, ...) end

setmt(G, {
  __index = function(_, k) error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end,
  __newindex = readonly_error,
})
ENV = protect(G)
rawset(G, '_G', ENV)

-- function libraries: while a library's code runs it sees only 'redis' with the load-time API;
-- its functions, when called, see the globals (but not KEYS/ARGV) and the full API
local load_view = setmt({}, { __index = function(t, k)
  local v = rawget(load_api, k)
  if v == nil then error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
  return v
end, __newindex = readonly_error, __metatable = false })
protected[load_view] = true
local function library_env()
  local loading = true
  local env = setmt({}, {
    __index = function(t, k)
      if k == 'redis' then return loading and load_view or redis end
      local v = nil
      if not loading and k ~= 'KEYS' and k ~= 'ARGV' then v = rawget(G, k) end
      if v == nil then error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
      return v
    end,
    __newindex = readonly_error,
    __metatable = false,
  })
  protected[env] = true
  return env, function() loading = false end
end

-- Redis's error handler: every error becomes {err=..., source=..., line=...}
local function handler(err)
  -- the frame that raised it: skip C functions and the sandbox's own metamethods
  local level, i = 2, nil
  repeat
    i = dgetinfo(level, 'Sl')
    level = level + 1
  until i == nil or (i.what ~= 'C' and i.source ~= '=prelude')
  if type(err) ~= 'table' then
    -- Lua 5.4 names the culprit after the type ("a nil value (local 'a')"), 5.1 before it
    err = { err = 'ERR ' .. lua51(tostring(err)) }
  end
  if i and err.source == nil then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end

rawset(G, '__redis__err__handler', handler)
return ENV, handler, G, library_env
`;
