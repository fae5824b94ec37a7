import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, ROOT } from './helm';

function tree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

function synth(out: string): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'scripts', 'synth.js'), '--out', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`synth failed: ${r.stderr}`);
}

describe('npm run synth', () => {
  const fresh = join(mkdtempSync(join(tmpdir(), 'pca-synth-')), 'pca-agent');
  beforeAll(() => synth(fresh));

  test('the committed chart equals a fresh synth (nothing in charts/ is edited by hand)', () => {
    const committed = tree(CHART_DIR);
    const generated = tree(fresh);
    expect([...committed.keys()].sort()).toEqual([...generated.keys()].sort());
    for (const [path, content] of generated) expect({ path, content: committed.get(path) }).toEqual({ path, content });
  });

  test('is deterministic and removes stale files from the output folder', () => {
    writeFileSync(join(fresh, 'templates', 'stale.yaml'), 'kind: Stale\n');
    const before = tree(fresh);
    synth(fresh);
    expect(existsSync(join(fresh, 'templates', 'stale.yaml'))).toBe(false);
    before.delete('templates/stale.yaml');
    expect(tree(fresh)).toEqual(before);
  });

  test('Chart.yaml takes version and appVersion from package.json and states the supported Kubernetes range', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const chart = readFileSync(join(fresh, 'Chart.yaml'), 'utf8');
    expect(chart).toContain('apiVersion: v2\n');
    expect(chart).toContain(`version: ${pkg.version}\n`);
    expect(chart).toContain(`appVersion: ${pkg.version}\n`);
    expect(chart).toContain('kubeVersion: ">=1.27.0-0"\n');
  });

  test('the chart README lists every values key with its default, from the same definition as values.yaml', () => {
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const leaves: string[] = [];
    const walk = (o: Record<string, unknown>, path: string[]) => {
      for (const [k, v] of Object.entries(o)) {
        // Groups are nested maps whose every value is documented on its own; free-form blocks are leaves.
        if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && !['global', 'resources'].includes(k)) walk(v as Record<string, unknown>, [...path, k]);
        else leaves.push([...path, k].join('.'));
      }
    };
    walk(values, []);
    expect(leaves.length).toBeGreaterThan(100);
    expect(leaves.filter((k) => !readme.includes(`| \`${k}\` |`))).toEqual([]);
  });
});
