import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

// Plain CommonJS that must run on the machine's Node before anything is installed.
const { staleness } = require('../../scripts/bootstrap.cjs') as { staleness: (root: string) => string | undefined };

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pca-bootstrap-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function lock(dir: string, file: string, packages: Record<string, object>) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), JSON.stringify({ lockfileVersion: 3, packages }));
}

const WANTED = {
  '': { name: 'x' },
  'node_modules/zod': { version: '4.6.7' },
  'node_modules/fsevents': { version: '2.3.3', optional: true },
};

test('node_modules is reinstalled when missing or when a locked package is absent or at another version', () => {
  lock(root, 'package-lock.json', WANTED);
  expect(staleness(root)).toBe('node_modules is missing');
  lock(join(root, 'node_modules'), '.package-lock.json', {});
  expect(staleness(root)).toBe('zod 4.6.7 is not installed');
  lock(join(root, 'node_modules'), '.package-lock.json', { 'node_modules/zod': { version: '4.6.6' } });
  expect(staleness(root)).toBe('zod 4.6.7 is not installed');
  // An optional package for another platform may rightly be missing.
  lock(join(root, 'node_modules'), '.package-lock.json', { 'node_modules/zod': { version: '4.6.7' } });
  expect(staleness(root)).toBeUndefined();
});

test("this checkout's node_modules matches its lockfile (what npm start and npm test check first)", () => {
  expect(staleness(join(__dirname, '../..'))).toBeUndefined();
});

/** The machine's own node when the PATH has one besides the Node 24 that scripts/node24.sh put first. */
function machineNode(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'node');
    if (!dir.includes('.tools') && existsSync(candidate)) return candidate;
  }
  return process.execPath;
}

test("it runs on the machine's older Node (before Node 24 is fetched) and names a missing script", () => {
  const node = machineNode();
  expect(execFileSync(node, ['--check', join(__dirname, '../../scripts/bootstrap.cjs')], { encoding: 'utf8' })).toBe('');
  let stderr = '';
  try {
    execFileSync(node, [join(__dirname, '../../scripts/bootstrap.cjs')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    stderr = String((err as { stderr: string }).stderr);
  }
  expect(stderr).toContain('usage: node scripts/bootstrap.cjs <npm script>');
});
