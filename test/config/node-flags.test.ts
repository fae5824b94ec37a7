import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WORKER_NODE_FLAGS, WORKER_NODE_OPTIONS, withNodeFlags } from '../../services/src/config/node-flags';

describe('withNodeFlags', () => {
  test('empty or unset NODE_OPTIONS gets the worker flags', () => {
    expect(withNodeFlags(undefined)).toBe(WORKER_NODE_OPTIONS);
    expect(withNodeFlags('')).toBe(WORKER_NODE_OPTIONS);
    expect(withNodeFlags('   ')).toBe(WORKER_NODE_OPTIONS);
    expect(WORKER_NODE_OPTIONS).toBe('--max-old-space-size=384 --max-semi-space-size=32');
  });

  test('other options are kept as given, after the added flags', () => {
    expect(withNodeFlags('--enable-source-maps  --require "./a b.js"')).toBe(`${WORKER_NODE_OPTIONS} --enable-source-maps  --require "./a b.js"`);
  });

  test("a flag the user set wins and is not added twice, in either spelling", () => {
    expect(withNodeFlags('--max-old-space-size=1024')).toBe('--max-semi-space-size=32 --max-old-space-size=1024');
    expect(withNodeFlags('--max_old_space_size=1024 --max-semi-space-size=8')).toBe('--max_old_space_size=1024 --max-semi-space-size=8');
  });

  test('takes other flags to merge', () => {
    expect(withNodeFlags('--max-old-space-size=64', ['--max-old-space-size=384', '--stack-size=2000'])).toBe('--stack-size=2000 --max-old-space-size=64');
    expect(withNodeFlags('--trace-gc', [])).toBe('--trace-gc');
  });
});

test('npm run start:worker runs with the same flags, a NODE_OPTIONS of the caller after them (so it wins)', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(pkg.scripts['start:worker']).toMatch(new RegExp(`^NODE_OPTIONS="${WORKER_NODE_FLAGS.join(' ')} \\$NODE_OPTIONS" node `));
});
