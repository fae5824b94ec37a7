import { include } from '../helm/template';

/**
 * PromQL label matchers of one release, as Helm template text. The Prometheus Operator sets `job` to the
 * scraped Service's name and `namespace` to its namespace, so the chart's ServiceMonitor makes
 * `job="<fullname>-api"` and `job="<fullname>-worker"`.
 */
export interface ReleaseSelectors {
  /** `namespace="<release namespace>"` */
  readonly ns: string;
  readonly api: string;
  readonly worker: string;
  /** API and worker: the queue and Redis gauges come from both (the API's stay while workers are at zero). */
  readonly app: string;
  readonly collector: string;
  /** `<fullname>`, for kube-state-metrics' object names. */
  readonly fullname: string;
}

export function releaseSelectors(): ReleaseSelectors {
  const fullname = include('pca-agent.fullname');
  const ns = 'namespace="{{ .Release.Namespace }}"';
  return {
    ns,
    api: `job="${fullname}-api",${ns}`,
    worker: `job="${fullname}-worker",${ns}`,
    app: `job=~"${fullname}-(api|worker)",${ns}`,
    collector: `job="${fullname}-otel-collector",${ns}`,
    fullname,
  };
}

/** Prometheus template text (`{{ $labels.queue }}`) that must reach Prometheus literally through Helm. */
export function promTemplate(text: string): string {
  return text.replace(/\{\{(.*?)\}\}/g, (_m, inner: string) => `{{\`{{${inner}}}\`}}`);
}
