import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importGraph } from './import-graph';

const ROOT = join(__dirname, '../../services/src');
const OWNER = 'telemetry/service-names.ts';

// Logs, traces and Redis CLIENT LIST must agree on who a process is: one spelling, in service-names.ts.
test('service names are spelled out only in telemetry/service-names.ts', () => {
  const spelled: string[] = [];
  for (const module of importGraph(ROOT).keys()) {
    if (module === OWNER) continue;
    const lines = readFileSync(join(ROOT, module), 'utf8').split('\n');
    lines.forEach((line, i) => {
      const code = line.replace(/\/\/.*$|^\s*\*.*$|\/\*\*.*$/, '');
      if (/['"`]pca-agent-(api|worker|dashboard|task|seed|restore)\b/.test(code)) spelled.push(`${module}:${i + 1}: ${line.trim()}`);
    });
  }
  expect(spelled).toEqual([]);
});
