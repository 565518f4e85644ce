/*
 * Logging in Redis's line format: `PID:ROLE DD Mon YYYY HH:MM:SS.mmm <level-char> message`, where
 * the level char is . (debug) - (verbose) * (notice) # (warning) and ROLE is M (master), S (replica),
 * C (child, and the start-up lines before the server exists) or X (sentinel). Supervisors and scripts
 * grep these lines, so the phrases matter.
 *
 * Like Redis, the log file is opened for each line (append) so that log rotation needs no signal;
 * logging is rare and never on the command path.
 */

import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';

const RANK: Record<LogLevel, number> = { debug: 0, verbose: 1, notice: 2, warning: 3, nothing: 4 };
const MARK = ['.', '-', '*', '#'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export class Logger {
  level: LogLevel = 'notice';
  /** '' logs to standard output */
  file = '';
  role: 'M' | 'S' | 'C' | 'X' = 'M';
  /** set false to silence (tests that start many servers in one process) */
  enabled = true;

  enabledFor(level: LogLevel): boolean {
    return this.enabled && RANK[level] >= RANK[this.level] && level !== 'nothing';
  }

  log(level: LogLevel, msg: string): void {
    if (!this.enabledFor(level)) return;
    const d = new Date();
    const line =
      `${process.pid}:${this.role} ${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)} ` +
      `${MARK[RANK[level]]} ${msg}\n`;
    this.write(line);
  }

  /** A line logged from a signal handler, in Redis's format for those: `PID:signal-handler (unixtime) msg`. */
  signal(msg: string): void {
    if (!this.enabled) return;
    this.write(`${process.pid}:signal-handler (${Math.floor(Date.now() / 1000)}) ${msg}\n`);
  }

  private write(line: string): void {
    if (this.file === '') process.stdout.write(line);
    else {
      try {
        appendFileSync(this.file, line);
      } catch {
        // Redis silently drops lines it cannot write
      }
    }
  }

  debug(msg: string): void {
    this.log('debug', msg);
  }
  verbose(msg: string): void {
    this.log('verbose', msg);
  }
  notice(msg: string): void {
    this.log('notice', msg);
  }
  warning(msg: string): void {
    this.log('warning', msg);
  }
}
