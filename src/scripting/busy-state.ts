/*
 * Whether a script has run past busy-reply-threshold (Redis's "timed out" script), read by the
 * dispatcher (exec.ts) to refuse other clients' commands with -BUSY. Kept apart from busy.ts, which
 * drives the polling and needs the engine, so that exec.ts imports nothing that imports it back.
 */

export const BUSY_EVAL = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
export const BUSY_FUNCTION = 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';

export const busyState = {
  /** a script is running past the threshold: other clients are served by the hook's polling */
  active: false,
  /** the running script is an EVAL (else a function): which BUSY text and which KILL applies */
  isEval: true,
  /** SHUTDOWN NOSAVE was accepted: the script is stopped whatever it did */
  abort: false,
};

/** The refusal for a command arriving while a script is busy, or null when it may run. */
export function busyRefusal(name: string, argv: readonly string[], flags: readonly string[]): string | null {
  if (name === 'shutdown') {
    for (let i = 1; i < argv.length; i++) {
      if (argv[i]!.toLowerCase() === 'nosave') {
        busyState.abort = true;
        return null;
      }
    }
    return busyState.isEval ? BUSY_EVAL : BUSY_FUNCTION;
  }
  if (flags.includes('allow_busy')) return null;
  return busyState.isEval ? BUSY_EVAL : BUSY_FUNCTION;
}
