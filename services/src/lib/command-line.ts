import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors';

/**
 * `node:util` parseArgs, strict, with its errors turned into a one-line UsageError that names the flag
 * ("unknown option --x", "--timeout needs a value"): its own messages run to three sentences.
 */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ strict: true, ...config });
  } catch (err) {
    throw new UsageError(usageMessage(err));
  }
}

function usageMessage(err: unknown): string {
  const { code, message } = err as { code?: string; message: string };
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  // "-n, --namespace <value>" names the long form
  const flag = /--[\w-]+/.exec(quoted)?.[0] ?? quoted.split(' ')[0];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${quoted}"`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (message.includes('does not take an argument')) return `${flag} takes no value`;
      if (message.includes('ambiguous')) return `${flag} needs a value; write ${flag}=<value> for one that starts with "-"`;
      return `${flag} needs a value`;
    default:
      return message.split('\n')[0]!;
  }
}
