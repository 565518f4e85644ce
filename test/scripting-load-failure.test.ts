/*
 * When the Lua module fails to load, scripting commands reply with the reason instead of waiting
 * for a VM that will never come (a waiting client would be resumed, wait again, and so on).
 */

import { describe, expect, it, vi } from 'vitest';
import { Client } from '../src/client';
import '../src/commands/index';
import { execute } from '../src/exec';
import { ServerState } from '../src/state';

// hoisted by vitest above the imports, so every module that imports lua.ts gets this one

vi.mock('../src/scripting/lua', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../src/scripting/lua')>()),
  luaApi: () => null,
  luaLoadError: () => new Error('no WebAssembly here'),
}));

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
