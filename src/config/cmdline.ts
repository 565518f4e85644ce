/*
 * redis-server's command line: `[config-file] [-] [--name value ...]`, turned into config text as
 * Redis does, so errors in options are reported like errors in the file (naming a line).
 *
 * The rules, from redis-server: the first argument is the config file unless it starts with '-';
 * a lone '-' as the first or last argument reads the config from stdin; `--name` starts an option and
 * every following argument is one of its values (quoted into the line), even one starting with `--`
 * right after the name, so `--requirepass --x` works; `--save` directly followed by another option
 * (or last) means `save ""`; an argument like "--port 6380" carries name and value in one.
 * The options become lines appended after the file's text (and stdin's), after a newline.
 */

import { splitArgs } from './file';
import { repr } from './values';

export interface CommandLine {
  /** the config file argument, or null */
  configFile: string | null;
  /** read the config from stdin ('-') */
  stdin: boolean;
  /** the options as config lines, newline-separated (Redis's `options` string) */
  options: string;
}

export function parseCommandLine(argv: string[]): CommandLine {
  let j = 0;
  let configFile: string | null = null;
  if (argv.length !== 0 && !argv[0]!.startsWith('-')) {
    configFile = argv[0]!;
    j = 1;
  }
  let stdin = false;
  let options = '';
  let handledLast = true;
  for (; j < argv.length; j++) {
    const a = argv[j]!;
    if (a === '-' && (j === 0 || j === argv.length - 1)) {
      stdin = true;
    } else if (handledLast && a.startsWith('--')) {
      if (options.length !== 0) options += '\n';
      options += a.slice(2) + ' ';
      const parts = splitArgs(a);
      if (parts !== null && parts.length === 1) {
        handledLast = false;
        const nextIsOption = j !== argv.length - 1 && argv[j + 1]!.startsWith('--');
        if (a.toLowerCase() === '--save' && (nextIsOption || j === argv.length - 1)) {
          options += '""';
          handledLast = nextIsOption;
        }
      } else {
        handledLast = true;
      }
    } else {
      options += repr(a) + ' ';
      handledLast = true;
    }
  }
  return { configFile, stdin, options };
}

/** The whole config text Redis parses: the file, then stdin, then a newline and the options. */
export function configText(fileText: string, stdinText: string, options: string): string {
  return fileText + stdinText + '\n' + options;
}
