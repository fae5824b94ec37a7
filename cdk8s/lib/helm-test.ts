import { Construct } from 'constructs';
import { appContainer, type AppContext } from './app-container';
import { HelmObject } from './helm/helm-object';
import { labels, resourceName } from './names';
import { securePodSpec } from './pod-spec';

/** The `helm test` smoke: API ready, a report submitted, a worker completes it (300 s covers a KEDA scale-from-zero). */
export const SMOKE_ARGS = ['smoke', '--timeout', '300'] as const;

/** `helm test`: a Pod of the app image that checks the API, submits a job through it and waits for its result. */
export class HelmTest extends Construct {
  constructor(scope: Construct, id: string, props: AppContext & { apiUrl: string; serviceAccountName: string }) {
    super(scope, id);
    new HelmObject(this, 'pod', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: resourceName('smoke-test'),
        labels: labels('test'),
        annotations: { 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' },
      },
      spec: securePodSpec({
        serviceAccountName: props.serviceAccountName,
        restartPolicy: 'Never',
        imagePullSecrets: props.values.imagePullSecrets,
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
      template: 'tests-smoke.yaml',
    });
  }
}
