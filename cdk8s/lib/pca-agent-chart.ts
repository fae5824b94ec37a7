import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { Api, serviceMonitorOn } from './api';
import { AppConfig } from './app-config';
import type { AppContext } from './app-container';
import { BlobStorage } from './blob-storage';
import { CronJobs } from './cron-jobs';
import { Dashboard } from './dashboard';
import { GrafanaDashboards } from './grafana-dashboards';
import { HelmTest } from './helm-test';
import { HttpRoutes, httpRouteOn } from './http-route';
import { Jaeger } from './jaeger';
import { NetworkPolicies } from './network-policies';
import { notesTxt } from './notes';
import { OtelCollector } from './otel-collector';
import { PrometheusRule } from './prometheus-rule';
import { AppServiceAccount } from './service-account';
import { Redis } from './redis';
import { ServiceMonitor } from './service-monitor';
import { trustProxyHopsHelper } from './trust-proxy-hops';
import { values } from './values';
import { Worker } from './worker';

/** The whole pca-agent deployment, every component wired to the others by reference. */
export class PcaAgentChart extends Chart {
  readonly notes: string;
  /** Named templates that depend on this chart's values, appended to _helpers.tpl. */
  readonly helpers: string;
  /** Static chart files besides the templates (the Grafana dashboards' JSON). */
  readonly files: Record<string, string>;

  constructor(scope: Construct, id: string) {
    super(scope, id, { disableResourceNameHashes: true });
    const redis = new Redis(this, 'redis', { values });
    const jaeger = new Jaeger(this, 'jaeger', { values });
    const collector = new OtelCollector(this, 'otel-collector', { values, jaegerOtlpAddress: jaeger.otlpGrpcAddress });
    const config = new AppConfig(this, 'config', { values, otlpEndpoint: collector.otlpHttpEndpoint });
    const serviceAccount = new AppServiceAccount(this, 'service-account', { values });
    const blobs = new BlobStorage(this, 'blob-storage', { values });
    const ctx: AppContext = { values, config, redis, serviceAccount, blobs };
    const api = new Api(this, 'api', ctx);
    const worker = new Worker(this, 'worker', ctx, { apiUrl: `http://${api.serviceName}.{{ .Release.Namespace }}.svc:${api.servicePort}` });
    new CronJobs(this, 'cronjobs', ctx);
    const dashboard = new Dashboard(this, 'dashboard', ctx);
    new HttpRoutes(this, 'http-routes', { values, api, dashboard, jaeger });
    new NetworkPolicies(this, 'network-policies', { values, redis });
    new ServiceMonitor(this, 'service-monitor', { values });
    new PrometheusRule(this, 'prometheus-rule', { values });
    this.files = new GrafanaDashboards(this, 'grafana-dashboards', { values }).files;
    new HelmTest(this, 'helm-test', { ...ctx, apiUrl: `http://${api.serviceName}:${api.servicePort}` });
    this.notes = notesTxt({
      api,
      dashboard,
      jaeger,
      authSecretName: config.authSecretName,
      redisEnabled: redis.embedded,
      kedaOn: worker.kedaOn,
      hpaOn: worker.hpaOn,
      httpRouteOn: httpRouteOn(values),
      serviceMonitorOn: serviceMonitorOn(values),
    });
    this.helpers = trustProxyHopsHelper(values, httpRouteOn(values));
  }
}
