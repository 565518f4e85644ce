import type { ServerState } from '../state';
import type { ScriptEngine } from './engine';
export function installBusy(_s: ServerState, _e: ScriptEngine): void {}
