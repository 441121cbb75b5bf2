// `npm run dlq`: operators list, inspect, replay and purge dead-lettered and unroutable events from a terminal.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../platform/config.js';
import { createDeadLetters, DEFAULT_SHOW_LIMIT, MAX_SHOW_LIMIT, type DeadLetter, type DeadLetterQueue } from '../platform/messaging/dead-letters.js';

const USAGE = `Usage: npm run dlq -- <command> [options]

Commands:
  list                                      dead-letter queues (and the unroutable queue) with their depth
  show <queue> [--limit N]                  the first N messages (default ${DEFAULT_SHOW_LIMIT}, at most ${MAX_SHOW_LIMIT}); nothing is removed
  replay <queue> [--message-id ID] [--limit N]
                                            move messages back to the queue they failed in (unroutable: to the events exchange)
  purge <queue> (--message-id ID | --yes)   drop one message, or all of them (--yes)

Options:
  --json      machine-readable output
  -h, --help  this text

The broker comes from AMQP_URL, RABBITMQ_MANAGEMENT_URL and EVENTS_EXCHANGE (see README, Configuration).
Exit codes: 0 done, 1 failed (the message says why), 2 usage.`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface Invocation {
  command: 'list' | 'show' | 'replay' | 'purge';
  queue?: string;
  limit?: number;
  messageId?: string;
  yes: boolean;
  json: boolean;
}

function parseInvocation(argv: string[]): Invocation | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        limit: { type: 'string' },
        'message-id': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const [command, queue, ...extra] = positionals;
  if (command === undefined) throw new UsageError('a command is required');
  if (command !== 'list' && command !== 'show' && command !== 'replay' && command !== 'purge') throw new UsageError(`unknown command "${command}"`);
  if (command === 'list' ? queue !== undefined : queue === undefined) {
    throw new UsageError(command === 'list' ? 'list takes no queue' : `${command} needs a queue name`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);

  let limit: number | undefined;
  if (values.limit !== undefined) {
    if (command !== 'show' && command !== 'replay') throw new UsageError(`--limit does not apply to ${command}`);
    limit = Number(values.limit);
    const max = command === 'show' ? MAX_SHOW_LIMIT : Number.MAX_SAFE_INTEGER;
    if (!/^\d+$/.test(values.limit) || limit < 1 || limit > max) throw new UsageError(`--limit must be a whole number from 1 to ${max}`);
  }
  const messageId = values['message-id'];
  if (messageId !== undefined && command !== 'replay' && command !== 'purge') throw new UsageError(`--message-id does not apply to ${command}`);
  if (messageId !== undefined && limit !== undefined) throw new UsageError('use either --message-id or --limit');
  // Dropping a whole queue cannot be undone: it has to be asked for explicitly.
  if (command === 'purge' && messageId === undefined && !values.yes) {
    throw new UsageError(`purge of the whole queue ${queue} needs --yes (or --message-id ID to drop one message)`);
  }
  return { command, queue, limit, messageId, yes: values.yes, json: values.json };
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

function queuesTable(queues: DeadLetterQueue[]): string {
  if (queues.length === 0) return 'No dead-letter queues.';
  return table(
    ['QUEUE', 'CONSUMER QUEUE', 'MESSAGES'],
    queues.map((entry) => [entry.queue, entry.consumerQueue ?? '(unroutable events)', String(entry.messages)]),
  );
}

function messagesTable(queue: string, messages: DeadLetter[]): string {
  if (messages.length === 0) return `${queue} is empty.`;
  return table(
    ['MESSAGE ID', 'TYPE', 'ORDER', 'ATTEMPTS', 'DEAD-LETTERED AT', 'REASON'],
    messages.map((message) => [
      message.messageId ?? '-',
      message.type ?? '-',
      message.orderId ?? '-',
      message.attempts === null ? '-' : String(message.attempts),
      message.deadLetteredAt ?? '-',
      message.reason.replace(/\s+/g, ' '),
    ]),
  );
}

async function run(argv: string[]): Promise<number> {
  let invocation: Invocation | 'help';
  try {
    invocation = parseInvocation(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`dlq: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (invocation === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const config = loadConfig();
  // stdout carries the answer (tables or --json); logs go to stderr, and info-level audit lines only when asked for.
  const log = pino({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, base: { component: 'dlq' } }, pino.destination(2));
  const deadLetters = createDeadLetters({
    amqpUrl: config.AMQP_URL,
    managementUrl: config.RABBITMQ_MANAGEMENT_URL,
    exchange: config.EVENTS_EXCHANGE,
    log,
    confirmTimeoutMs: config.PUBLISH_CONFIRM_TIMEOUT,
  });
  const { command, queue = '', json } = invocation;
  const print = (forHumans: string, forMachines: unknown) => process.stdout.write(`${json ? JSON.stringify(forMachines, null, 2) : forHumans}\n`);

  switch (command) {
    case 'list': {
      const queues = await deadLetters.list();
      print(queuesTable(queues), { queues });
      break;
    }
    case 'show': {
      const messages = await deadLetters.show(queue, { limit: invocation.limit });
      print(messagesTable(queue, messages), { queue, messages });
      break;
    }
    case 'replay': {
      const replayed = await deadLetters.replay(queue, { messageId: invocation.messageId, limit: invocation.limit });
      print(`replayed ${replayed} message${replayed === 1 ? '' : 's'} from ${queue}`, { queue, replayed });
      break;
    }
    case 'purge': {
      const purged = await deadLetters.purge(queue, { messageId: invocation.messageId });
      print(`purged ${purged} message${purged === 1 ? '' : 's'} from ${queue}`, { queue, purged });
      break;
    }
  }
  return 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Configuration errors name the variable; broker errors say what is unreachable: the message is the whole story.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`dlq: ${message}\n`);
    process.exitCode = 1;
  },
);
