import { parseCommandLine } from '../../services/src/lib/command-line';
import { UsageError } from '../../services/src/lib/errors';

const OPTIONS = { timeout: { type: 'string', short: 't' }, force: { type: 'boolean' } } as const;
const parse = (args: string[]) => parseCommandLine({ args, options: OPTIONS, allowPositionals: false });

test('parses options as node:util parseArgs does', () => {
  expect(parse(['--timeout', '5', '--force']).values).toEqual({ timeout: '5', force: true });
  expect(parse(['--timeout=-5']).values).toEqual({ timeout: '-5' });
});

test.each([
  [['--bogus'], 'unknown option --bogus'],
  [['-x'], 'unknown option -x'],
  [['--timeout'], '--timeout needs a value'],
  [['-t'], '--timeout needs a value'],
  [['--timeout', '-5'], '--timeout needs a value; write --timeout=<value> for one that starts with "-"'],
  [['--force=yes'], '--force takes no value'],
  [['stray'], 'unexpected argument "stray"'],
])('%j: a one-line UsageError naming the flag', (args, message) => {
  let caught: unknown;
  try {
    parse(args);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(UsageError);
  expect((caught as Error).message).toBe(message);
});
