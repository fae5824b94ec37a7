import { jobFromCronJob, MANUAL_ANNOTATION, manualJobName, randomSuffix } from '../../services/src/ctl/job-from-cronjob';
import { findTaskCronJob } from '../../services/src/ctl/run';
import { cronJob } from './objects';

describe('jobFromCronJob (kubectl create job --from=cronjob/...)', () => {
  const cj = cronJob('cleanup_old_reports', { schedule: '0 2 * * *' });

  it('copies the job template, owned by the CronJob, marked as a manual run', () => {
    const job = jobFromCronJob(cj, 'x7k2p');
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
    expect(job.metadata).toEqual({
      name: 'pca-agent-cleanup-old-reports-manual-x7k2p',
      namespace: 'pca',
      labels: cj.spec.jobTemplate.metadata!.labels,
      annotations: { 'pca-agent.io/origin': 'chart', [MANUAL_ANNOTATION]: 'manual' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'pca-agent-cleanup-old-reports', uid: 'uid-cron-cleanup_old_reports', controller: true }],
    });
    expect(job.spec).toEqual(cj.spec.jobTemplate.spec);
    expect(job.spec!.template.spec!.containers[0]!.command!.slice(-2)).toEqual(['task', 'cleanup_old_reports']);
  });

  it('does not share objects with the CronJob it copies', () => {
    const job = jobFromCronJob(cj, 'aaaaa');
    job.spec!.template.spec!.containers[0]!.command!.push('--inline');
    job.metadata!.labels!['extra'] = 'x';
    expect(cj.spec.jobTemplate.spec!.template.spec!.containers[0]!.command).toHaveLength(6);
    expect(cj.spec.jobTemplate.metadata!.labels!['extra']).toBeUndefined();
  });

  it('refuses a CronJob that was not read from the API (no uid to own the Job)', () => {
    const bare = cronJob('health_check');
    delete bare.metadata!.uid;
    expect(() => jobFromCronJob(bare)).toThrow(/no name, uid or job template/);
  });

  it('keeps names within 63 characters without a trailing dash before the suffix', () => {
    const long = 'a'.repeat(40) + '-' + 'b'.repeat(11); // 52 characters, the CronJob name limit
    const name = manualJobName(long, 'abcde');
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^a{40}-b{9}-manual-abcde$/);
    expect(manualJobName('x'.repeat(49) + '-ab', 'abcde')).toBe('x'.repeat(49) + '-manual-abcde');
  });

  it('draws DNS-safe random suffixes', () => {
    const suffixes = new Set(Array.from({ length: 50 }, randomSuffix));
    for (const s of suffixes) expect(s).toMatch(/^[a-z0-9]{5}$/);
    expect(suffixes.size).toBeGreaterThan(40);
  });
});

describe('findTaskCronJob', () => {
  const cronJobs = [cronJob('cleanup_old_reports'), cronJob('refresh_benchmarks'), cronJob('health_check')];

  it.each([
    ['health_check', 'pca-agent-health-check'],
    ['health-check', 'pca-agent-health-check'],
    ['pca-agent-refresh-benchmarks', 'pca-agent-refresh-benchmarks'],
    ['cleanup-old-reports', 'pca-agent-cleanup-old-reports'],
  ])('finds %s', (task, name) => {
    expect(findTaskCronJob(cronJobs, task)?.metadata?.name).toBe(name);
  });

  it('finds nothing for an unknown task', () => {
    expect(findTaskCronJob(cronJobs, 'generate_pdf_report')).toBeUndefined();
  });
});
