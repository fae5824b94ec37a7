import { randomBytes } from 'node:crypto';
import type { V1CronJob, V1Job } from './kube';

/** The annotation `kubectl create job --from=cronjob/...` sets, so tools can tell manual runs apart. */
export const MANUAL_ANNOTATION = 'cronjob.kubernetes.io/instantiate';

/** Job names end up in the `job-name` pod label, which allows 63 characters. */
const MAX_NAME = 63;

/** Five lowercase alphanumerics, like the suffixes Kubernetes generates. */
export function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** `<cronjob>-manual-<suffix>`, the CronJob part shortened so the whole stays a valid Job name. */
export function manualJobName(cronJobName: string, suffix: string): string {
  const tail = `-manual-${suffix}`;
  const head = cronJobName.slice(0, MAX_NAME - tail.length).replace(/-+$/, '');
  return `${head}${tail}`;
}

/** The Job `kubectl create job --from=cronjob/<name>` creates: the CronJob's template, owned by it. */
export function jobFromCronJob(cronJob: V1CronJob, suffix: string = randomSuffix()): V1Job {
  const name = cronJob.metadata?.name;
  const uid = cronJob.metadata?.uid;
  const template = cronJob.spec?.jobTemplate;
  if (!name || !uid || !template?.spec) {
    throw new Error(`CronJob ${name ?? '(unnamed)'} has no name, uid or job template; read it from the API before copying it`);
  }
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: manualJobName(name, suffix),
      namespace: cronJob.metadata?.namespace,
      labels: { ...template.metadata?.labels },
      annotations: { ...template.metadata?.annotations, [MANUAL_ANNOTATION]: 'manual' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name, uid, controller: true }],
    },
    spec: structuredClone(template.spec),
  };
}
