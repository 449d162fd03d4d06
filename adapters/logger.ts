// Structured JSON logs (pino) that never carry secrets: every object passed to a log call goes
// through `redact` first, and messages are scrubbed of PEM blocks and token-like strings.
import { pino, type Logger, type DestinationStream } from 'pino';
import { redact, redactText } from './redaction.js';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Where to write; stdout by default. Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
  name?: string;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: options.name ?? 'runtime-agent',
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redact(object),
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? redactText(a) : a));
          // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- the same arguments, strings replaced by strings
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      serializers: {
        err: (err: unknown) => redact(err),
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing, for code paths where the caller did not pass one. */
export const silentLogger: Logger = pino({ level: 'silent' });
