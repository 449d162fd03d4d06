// A small, strict option parser for the commands: unknown options are errors, not surprises.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig, type AgentConfig } from '../config.js';
import { errorMessage } from '../../adapters/unknown-values.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(`${command}: ${errorMessage(err)}`);
  }
}

/** A positive whole number option, or the default. */
export function positiveInteger(command: string, name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`${command}: --${name} must be a whole number, got "${value}"`);
  return Number(value);
}

/**
 * The agent configuration from APP_* variables, or the exit code 2 after saying on stderr which
 * variable is wrong. `run` and `revoke` take no arguments: anything given is a usage error.
 */
export function configFromEnvironment(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): AgentConfig | 2 {
  if (args.length > 0) {
    process.stderr.write(
      `${command}: unexpected arguments ${args.join(' ')}; configure it through APP_* environment variables (and KUBECONFIG)\n`,
    );
    return 2;
  }
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`runtime-agent: invalid configuration: ${err.message}\n`);
    return 2;
  }
}
