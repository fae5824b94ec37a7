import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { synthHelmChart } from '../cdk8s/main';
import { parseCommandLine } from '../services/src/lib/command-line';

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
  let out = join(__dirname, '..', '..', 'charts', 'pca-agent');
  try {
    out = parseCommandLine({ args: process.argv.slice(2), options: { out: { type: 'string' } } }).values.out ?? out;
  } catch (err) {
    process.stderr.write(`synth: ${(err as Error).message}; usage: synth [--out <dir>]\n`);
    process.exit(2);
  }
  const written = writeChart(out);
  process.stdout.write(`synth: ${written.length} files written to ${resolve(out)}\n`);
}
