import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureTools } from '../../scripts/setup-tools';
import { REPO_ROOT } from '../child-process';
import type { BenchContext } from '../context';

/** Runs a command to completion; resolves with its wall time in seconds and stdout size. */
function timed(cmd: string, args: string[]): Promise<{ seconds: number; stdoutBytes: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdoutBytes = 0;
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdoutBytes += c.length;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-2000);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve({ seconds: (performance.now() - start) / 1000, stdoutBytes });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

/**
 * Figure 6: the chart edit loop, `npm run synth`'s node call (cdk8s to charts/, here to a scratch folder so
 * the repository's chart is left alone) and `helm template` of the result. The TypeScript build that
 * `npm run synth` runs first is not included: `npm run bench` has just built.
 */
export async function benchChart(ctx: BenchContext): Promise<void> {
  const { helm } = ensureTools();
  const synth: number[] = [];
  const template: number[] = [];
  const total: number[] = [];
  let manifestKb = 0;
  for (let r = 0; r < ctx.opts.rounds; r++) {
    const dir = mkdtempSync(join(ctx.tmpDir, 'chart-'));
    try {
      const out = join(dir, 'pca-agent');
      const s = await timed(process.execPath, [join(REPO_ROOT, 'dist', 'scripts', 'synth.js'), '--out', out]);
      const t = await timed(helm, ['template', 'bench', out]);
      if (t.stdoutBytes < 1000) throw new Error(`helm template printed only ${t.stdoutBytes} bytes`);
      synth.push(s.seconds);
      template.push(t.seconds);
      total.push(s.seconds + t.seconds);
      manifestKb = t.stdoutBytes / 1024;
      ctx.log(`chart: round ${r + 1}: synth ${s.seconds.toFixed(2)} s, helm template ${t.seconds.toFixed(2)} s`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  ctx.figures.add('chart_synth_time', 's', synth, { note: 'node dist/scripts/synth.js (build excluded)' });
  ctx.figures.add('chart_helm_template_time', 's', template, { note: `${manifestKb.toFixed(0)} kB of manifests` });
  ctx.figures.add('chart_loop_time', 's', total, { note: 'synth + helm template' });
}
