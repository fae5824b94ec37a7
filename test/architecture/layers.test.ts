import { join } from 'node:path';
import { cycles, importGraph } from './import-graph';

/**
 * The layers of services/src, lowest first; a module may import its own layer and the ones below.
 * Entry points (task/, ctl/, dashboard/, smoke/, seed/) sit on top, and main.ts (which picks one by role) above them.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['config'],
  ['lib'],
  ['telemetry'],
  ['domain'],
  ['queues'],
  ['storage'],
  ['reports', 'uploads'],
  // the Prometheus registries and gauges of the API and the worker, and the shared Redis and queue gauges
  ['metrics'],
  ['workers', 'api'],
  ['task', 'ctl', 'dashboard', 'smoke', 'seed', 'restore'],
  ['main.ts'],
];

const ROOT = join(__dirname, '../../services/src');
const graph = importGraph(ROOT);

function layerOf(module: string): number {
  const top = module.split('/')[0]!;
  const layer = LAYERS.findIndex((names) => names.includes(top));
  if (layer < 0) throw new Error(`${module}: folder "${top}" is in no layer; add it to LAYERS in ${__filename}`);
  return layer;
}

test('the import graph of services/src has no cycle (type-only imports included)', () => {
  expect(graph.size).toBeGreaterThan(50);
  expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
});

test('imports only go down the layers: config → lib → telemetry → domain → queues → storage → reports/uploads → metrics → workers/api → entry points', () => {
  const upward: string[] = [];
  for (const [module, deps] of graph) {
    for (const dep of deps) if (layerOf(dep) > layerOf(module)) upward.push(`${module} → ${dep}`);
  }
  expect(upward).toEqual([]);
});

test('folders that share a layer do not import each other (api and workers meet only through the queues)', () => {
  const sideways: string[] = [];
  for (const [module, deps] of graph) {
    const top = module.split('/')[0];
    for (const dep of deps) {
      if (dep.split('/')[0] !== top && layerOf(dep) === layerOf(module)) sideways.push(`${module} → ${dep}`);
    }
  }
  expect(sideways).toEqual([]);
});

test('the walker sees a cycle and an upward import when there is one', () => {
  const fake = new Map([
    ['domain/a.ts', ['domain/b.ts']],
    ['domain/b.ts', ['workers/c.ts']],
    ['workers/c.ts', ['domain/a.ts']],
  ]);
  expect(cycles(fake)).toEqual([['domain/a.ts', 'domain/b.ts', 'workers/c.ts', 'domain/a.ts']]);
  expect(layerOf('domain/b.ts')).toBeLessThan(layerOf('workers/c.ts'));
});
