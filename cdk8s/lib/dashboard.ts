import { Construct } from 'constructs';
import { APP_PORTS, generatedSecretValue } from './app-config';
import { appContainer, type AppContext } from './app-container';
import { HelmObject } from './helm/helm-object';
import { metadata, nameOr, resourceName, selectorLabels } from './names';
import { componentService, httpProbes, podMetadata, securePodSpec } from './pod-spec';

/** The BullMQ queue dashboard on 5555, behind basic auth whose credentials live in a Secret. */
export class Dashboard extends Construct {
  readonly name = resourceName('dashboard');
  readonly serviceName = this.name;
  readonly port = APP_PORTS.dashboard;
  readonly enabled: string;
  readonly secretName: string;

  constructor(scope: Construct, id: string, ctx: AppContext) {
    super(scope, id);
    const v = ctx.values;
    const d = v.dashboard;
    const tpl = 'dashboard.yaml';
    this.enabled = d.enabled.expr;
    this.secretName = nameOr(d.existingSecret, 'dashboard');
    new HelmObject(this, 'secret', {
      kind: 'Secret',
      metadata: metadata(resourceName('dashboard'), 'dashboard'),
      type: 'Opaque',
      data: {
        DASHBOARD_USERNAME: `{{ ${d.username.expr} | b64enc }}`,
        DASHBOARD_PASSWORD: generatedSecretValue('dashboard', 'DASHBOARD_PASSWORD', d.password.expr, 24),
      },
      template: 'dashboard-secret.yaml',
      condition: `and ${this.enabled} (not ${d.existingSecret.expr})`,
    });
    componentService(this, 'service', {
      name: this.serviceName,
      component: 'dashboard',
      annotations: d.service.annotations,
      ports: [{ name: 'http', port: APP_PORTS.dashboard, targetPort: 'http' }],
      template: tpl,
      condition: this.enabled,
    });
    const secretEnv = (key: string) => ({ name: key, valueFrom: { secretKeyRef: { name: this.secretName, key } } });
    new HelmObject(this, 'deployment', {
      kind: 'Deployment',
      metadata: metadata(this.name, 'dashboard'),
      spec: {
        replicas: d.replicaCount.value,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selectorLabels('dashboard') },
        template: {
          metadata: podMetadata('dashboard', d, {
            checksums: { ...ctx.config.checksums, 'checksum/dashboard-secret': 'dashboard-secret.yaml', ...ctx.redis.checksums },
          }),
          spec: securePodSpec({
            serviceAccountName: ctx.serviceAccount.name,
            automountServiceAccountToken: ctx.serviceAccount.automount,
            scheduling: d,
            extraVolumes: d.extraVolumes,
            volumes: ctx.redis.caVolumes(),
            containers: [
              appContainer(ctx, {
                name: 'dashboard',
                role: 'dashboard',
                args: ['dashboard'],
                resources: d.resources,
                ports: [{ name: 'http', containerPort: APP_PORTS.dashboard }],
                // Unauthenticated health routes at the root, whatever DASHBOARD_BASE_PATH is.
                probes: httpProbes('http', '/health', '/ready'),
                env: [secretEnv('DASHBOARD_USERNAME'), secretEnv('DASHBOARD_PASSWORD')],
                extras: d,
              }),
            ],
          }),
        },
      },
      template: tpl,
      condition: this.enabled,
    });
  }
}
