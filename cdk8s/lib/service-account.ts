import { Construct } from 'constructs';
import { HelmObject } from './helm/helm-object';
import { include } from './helm/template';
import { metadata } from './names';
import type { ValueRefs } from './values';

/**
 * The ServiceAccount the app pods share (API, worker, dashboard, CronJobs, helm test): created unless
 * `serviceAccount.create=false`, annotated for cloud identity (IRSA, Workload Identity), no API token
 * unless asked for.
 */
export class AppServiceAccount extends Construct {
  readonly name = include('pca-agent.serviceAccountName');
  /** Value of the pods' automountServiceAccountToken. */
  readonly automount: string;

  constructor(scope: Construct, id: string, props: { values: ValueRefs }) {
    super(scope, id);
    const sa = props.values.serviceAccount;
    this.automount = sa.automountServiceAccountToken.text;
    new HelmObject(this, 'sa', {
      kind: 'ServiceAccount',
      metadata: metadata(this.name, 'app', { annotations: sa.annotations }),
      automountServiceAccountToken: sa.automountServiceAccountToken.value,
      template: 'service-account.yaml',
      condition: sa.create.expr,
    });
  }
}
