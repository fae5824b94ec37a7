import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envSchema } from '../../services/src/config/env';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };

test('the configuration table documents every variable the config schema reads', () => {
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Telemetry'));
  const missing = Object.keys(envSchema.shape).filter((name) => !table.includes(`\`${name}\``));
  expect(missing).toEqual([]);
});

test('every npm script the README tells users to run exists', () => {
  const named = [...readme.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]!);
  expect(named.length).toBeGreaterThan(5);
  expect(named.filter((s) => !(s in pkg.scripts))).toEqual([]);
  expect(pkg.scripts.start).toBeDefined();
  expect(pkg.scripts.test).toBeDefined();
});
