// The local stacks' terminal: one coloured, aligned prefix per process, the supervisor's own lines, and components' pino JSON made readable.
import { prettyFactory } from 'pino-pretty';
import type { ProgressLog } from './server-process.js';

export interface StackTerminal {
  /** The prefix of a process's lines: its name, padded to the widest, in its own colour. */
  prefix: (name: string, index: number) => string;
  /** One line from the supervisor itself. */
  say: (message: string) => void;
  /** The supervisor's output for text that arrives in pieces (the installer's progress dots): prefixed once per line. */
  stackOutput: () => { write(text: string): void };
  /** Progress of the servers, printed the way people read a terminal rather than as JSON. */
  log: ProgressLog;
  /** A component's output line as shown: pino JSON prettified, anything else as it came. */
  formatChildLine: (line: string) => string;
}

const palette = [36, 33, 35, 32, 34, 31, 96, 93];

/** `names`: every process that will print, so the prefixes line up. */
export function createStackTerminal(names: readonly string[]): StackTerminal {
  // Whoever reads our output may go first (a closed pipe: `npm start | head`, or a bench killed without its stack). A
  // write would then throw EPIPE and take the supervisor down, leaving every component running without it.
  for (const stream of [process.stdout, process.stderr]) if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
  const colour = process.stdout.isTTY && !process.env.NO_COLOR;
  const nameWidth = Math.max(...names.map((name) => name.length));
  const prefix = (name: string, index: number) => {
    const label = name.padEnd(nameWidth);
    return colour ? `\x1b[${palette[index % palette.length]}m${label}\x1b[0m | ` : `${label} | `;
  };
  const stackPrefix = prefix('stack', palette.length - 1);
  const say = (message: string) => void process.stdout.write(`${stackPrefix}${message}\n`);
  /**
   * Components log pino JSON; in the terminal pino-pretty makes one readable, coloured line per record (the component's
   * name is already the line's prefix). Only the supervisor prettifies: run a component alone and it logs JSON.
   */
  const prettify = prettyFactory({
    colorize: process.stdout.isTTY === true,
    ignore: 'pid,hostname,component',
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
  });
  return {
    prefix,
    say,
    stackOutput() {
      let atLineStart = true;
      return {
        write(text: string) {
          process.stdout.write(atLineStart ? `${stackPrefix}${text}` : text);
          atLineStart = text.endsWith('\n');
        },
      };
    },
    log: {
      info: (details, message) => say(describe(details, message)),
      warn: (details, message) => say(`WARN ${describe(details, message)}`),
    },
    formatChildLine(line: string) {
      if (!line.startsWith('{')) return line;
      try {
        return prettify(line).trimEnd();
      } catch {
        return line;
      }
    },
  };
}

function describe(details: object | string, message?: string): string {
  if (typeof details === 'string') return details;
  const fields = Object.entries(details).map(([key, value]) => `${key}=${String(value)}`).join(' ');
  return `${message ?? ''}${fields ? ` (${fields})` : ''}`;
}
