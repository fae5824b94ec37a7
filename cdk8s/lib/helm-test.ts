import { Construct } from 'constructs';
import { appContainer, type AppContext } from './app-container';
import { HelmObject } from './helm/helm-object';
import { labels, resourceName } from './names';
import { splice } from './helm/template';
import { securePodSpec } from './pod-spec';

/**
 * The `helm test` smoke: API ready, a report submitted, a worker completes it. 240 s covers a KEDA
 * scale-from-zero (polling interval + image pull + start) and stays inside `helm test --timeout 5m`,
 * so the pod reports its own verdict before helm gives up on it.
 */
export const SMOKE_TIMEOUT_SECONDS = 240;
export const SMOKE_ARGS = ['smoke', '--timeout', String(SMOKE_TIMEOUT_SECONDS)] as const;

/** `helm test`: a Pod of the app image that checks the API, submits a job through it and waits for its result. */
export class HelmTest extends Construct {
  constructor(scope: Construct, id: string, props: AppContext & { apiUrl: string }) {
    super(scope, id);
    new HelmObject(this, 'pod', {
      kind: 'Pod',
      metadata: {
        name: resourceName('smoke-test'),
        labels: labels('test'),
        annotations: {
          ...splice('include "pca-agent.commonAnnotations" .'), 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' },
      },
      spec: {
        ...securePodSpec({
          serviceAccountName: props.serviceAccount.name,
          restartPolicy: 'Never',
          volumes: props.redis.caVolumes(),
          containers: [
            appContainer(props, {
              name: 'smoke',
              role: 'task',
              args: SMOKE_ARGS,
              resources: props.values.cronJobs.resources,
              env: [...props.config.authEnv(), { name: 'PCA_API_URL', value: props.apiUrl }],
            }),
          ],
        }),
        // The smoke's own deadline comes first; this only catches a pod that cannot even start it.
        activeDeadlineSeconds: SMOKE_TIMEOUT_SECONDS + 30,
      },
      template: 'tests-smoke.yaml',
    });
  }
}
