/*
 * The scripting figures INFO memory shows (used_memory_lua / _vm_eval, used_memory_scripts_eval,
 * number_of_cached_scripts, number_of_functions, number_of_libraries, used_memory_vm_functions,
 * used_memory_functions), read without creating the engine. Both EVAL scripts and functions live in
 * one Lua VM here, so its heap is reported as the eval VM and the functions' share as 0.
 */

import type { ServerState } from '../state';
import { existingEngine } from './engine';
import { registryOf } from './functions';

export interface ScriptingMemory {
  vmEval: number;
  scriptsEval: number;
  cachedScripts: number;
  functions: number;
  libraries: number;
  vmFunctions: number;
  functionsMemory: number;
}

export function scriptingMemory(s: ServerState): ScriptingMemory {
  const e = existingEngine(s);
  if (e === undefined) {
    return { vmEval: 0, scriptsEval: 0, cachedScripts: 0, functions: 0, libraries: 0, vmFunctions: 0, functionsMemory: 0 };
  }
  const reg = registryOf(e);
  let functionsMemory = 0;
  for (const lib of reg.libraries.values()) functionsMemory += lib.code.length + 64 * (lib.functions.size + 1);
  return {
    vmEval: e.memory(),
    scriptsEval: e.scriptsMemory,
    cachedScripts: e.scripts.size,
    functions: reg.functions.size,
    libraries: reg.libraries.size,
    vmFunctions: 0,
    functionsMemory,
  };
}
