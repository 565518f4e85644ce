/*
 * When the Lua module fails to load, scripting commands reply with the reason instead of waiting
 * for a VM that will never come (a waiting client would be resumed, wait again, and so on).
 */

import { describe, expect, it, vi } from 'vitest';

vi.mock('../src/scripting/lua', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../src/scripting/lua')>()),
  luaApi: () => null,
  luaLoadError: () => new Error('no WebAssembly here'),
}));

const { ServerState } = await import('../src/state');
const { Client } = await import('../src/client');
const { execute } = await import('../src/exec');
await import('../src/commands/index');

describe('scripting without a Lua VM', () => {
  it('EVAL, EVALSHA and FCALL reply with the load error', () => {
    const s = new ServerState();
    const c = new Client(1, null, s.dbs[0]!, { maxBulkLen: 1 << 20, maxQueryBuffer: 1 << 20, unauthenticated: false });
    for (const argv of [['EVAL', 'return 1', '0'], ['EVALSHA', 'a'.repeat(40), '0'], ['FCALL', 'f', '0']]) {
      execute(c, argv, s);
      expect(c.takeText()).toBe('-ERR scripting engine failed to load: no WebAssembly here\r\n');
    }
  });
});
