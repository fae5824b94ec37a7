import { pollInterval, sleep, type CommandContext } from './command-context';
import { CtlError, ReleaseNotFoundError } from './errors';
import { listDeployments, listStatefulSets, releaseSelector } from './release';
import { deploymentVerdict, statefulSetVerdict, type WorkloadVerdict } from './verdicts';

export interface WaitOptions {
  /** Seconds to wait for every Deployment (and StatefulSet) to be rolled out and ready. @default 300 */
  readonly timeoutSeconds?: number;
}

const done = (d: WorkloadVerdict): boolean => d.rollout === 'rolled-out' && d.ready >= d.desired;

const summary = (ds: WorkloadVerdict[]): string =>
  ds.map((d) => `${d.name} ${d.ready}/${d.desired} ${done(d) ? 'ready' : d.message}`).join('; ');

/** `wait [--timeout s]`: until every Deployment and StatefulSet of the release is rolled out and ready. */
export async function waitCommand(ctx: CommandContext, opts: WaitOptions = {}): Promise<number> {
  const timeoutMs = (opts.timeoutSeconds ?? 300) * 1000;
  const started = Date.now();
  let last = '';
  for (;;) {
    const [deployments, statefulSets] = await Promise.all([listDeployments(ctx.client, ctx.release), listStatefulSets(ctx.client, ctx.release)]);
    const verdicts = [...deployments.map(deploymentVerdict), ...statefulSets.map(statefulSetVerdict)];
    if (verdicts.length === 0) {
      throw new ReleaseNotFoundError(
        `Release "${ctx.release}" has no Deployments in namespace "${ctx.client.namespace}" (nothing labelled ${releaseSelector(ctx.release)}); check --namespace and --release.`,
      );
    }
    const line = summary(verdicts);
    if (line !== last) ctx.out.write(`${line}\n`);
    last = line;
    const failed = verdicts.find((d) => d.rollout === 'failed');
    if (failed) throw new CtlError(`${failed.kind} ${failed.name} failed to roll out: ${failed.message}`);
    if (verdicts.every(done)) {
      ctx.out.write(`All ${verdicts.length} workloads of ${ctx.release} are rolled out and ready (${Math.round((Date.now() - started) / 1000)}s).\n`);
      return 0;
    }
    if (Date.now() - started >= timeoutMs) {
      const pending = verdicts.filter((d) => !done(d)).map((d) => `${d.name} (${d.message})`);
      throw new CtlError(`Timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${pending.join(', ')}; see \`npm run ctl -- status\`.`);
    }
    await sleep(pollInterval(ctx));
  }
}
