import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { synthHelmChart } from '../cdk8s/main';

/**
 * `npm run synth [-- --out <dir>]`: writes the generated chart (default charts/pca-agent). The chart
 * is written to a fresh folder next to the target and swapped in, so stale files never survive.
 */
export function writeChart(outDir: string): string[] {
  const target = resolve(outDir);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(`${target}.synth-`);
  const files = synthHelmChart();
  for (const [path, content] of files) {
    const file = join(staging, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return [...files.keys()];
}

if (require.main === module) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 ? process.argv[i + 1] : join(__dirname, '..', '..', 'charts', 'pca-agent');
  if (!out) throw new Error('--out needs a directory');
  const written = writeChart(out);
  process.stdout.write(`synth: ${written.length} files written to ${resolve(out)}\n`);
}
