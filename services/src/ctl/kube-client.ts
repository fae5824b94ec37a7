import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CtlError } from './errors';
import {
  k8s,
  type AppsV1Api,
  type AutoscalingV2Api,
  type BatchV1Api,
  type CoreV1Api,
  type CustomObjectsApi,
  type KubeConfig,
} from './kube';

export interface KubeClientOptions {
  /** Path of a kubeconfig file. @default $KUBECONFIG, then ~/.kube/config, then the in-cluster service account */
  readonly kubeconfig?: string;
  /** Context to use. @default the kubeconfig's current-context */
  readonly context?: string;
  /** Namespace of the release. @default the context's namespace, else "default" */
  readonly namespace?: string;
}

/** The typed API clients of one context and the namespace the commands work in. */
export interface KubeClient {
  readonly kc: KubeConfig;
  readonly context: string;
  readonly server: string;
  readonly namespace: string;
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly autoscaling: AutoscalingV2Api;
}

function loadKubeConfig(path: string | undefined, env: NodeJS.ProcessEnv): KubeConfig {
  const kc = new k8s.KubeConfig();
  const files = path ? [path] : (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  const source = path ? '--kubeconfig' : 'KUBECONFIG';
  if (files.length > 0) {
    const missing = files.filter((f) => !existsSync(f));
    if (missing.length === files.length) {
      throw new CtlError(`No kubeconfig file at ${missing.join(', ')} (from ${source}): create the cluster first (scripts/kind-up.sh) or point ${source} at an existing file.`);
    }
    const present = files.filter((f) => existsSync(f));
    kc.loadFromFile(present[0] as string);
    for (const file of present.slice(1)) {
      const other = new k8s.KubeConfig();
      other.loadFromFile(file);
      kc.mergeConfig(other);
    }
    return kc;
  }
  const home = join(env.HOME ?? homedir(), '.kube', 'config');
  if (existsSync(home)) {
    kc.loadFromFile(home);
    return kc;
  }
  if (env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
    kc.loadFromCluster();
    return kc;
  }
  throw new CtlError(`No kubeconfig found: neither KUBECONFIG nor ${home} exists. Create a cluster (scripts/kind-up.sh) or pass --kubeconfig.`);
}

/** Loads the user's kubeconfig the way kubectl does and builds the API clients the commands use. */
export function createKubeClient(opts: KubeClientOptions = {}, env: NodeJS.ProcessEnv = process.env): KubeClient {
  const kc = loadKubeConfig(opts.kubeconfig, env);
  const contexts = kc.getContexts().map((c) => c.name);
  if (opts.context) {
    if (!contexts.includes(opts.context)) {
      throw new CtlError(`Context "${opts.context}" is not in your kubeconfig; known contexts: ${contexts.join(', ') || 'none'}.`);
    }
    kc.setCurrentContext(opts.context);
  }
  const context = kc.getCurrentContext();
  const contextObject = context ? kc.getContextObject(context) : null;
  if (!contextObject) {
    throw new CtlError(`Your kubeconfig has no current context; pick one with --context (known: ${contexts.join(', ') || 'none'}).`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new CtlError(`Context "${context}" names cluster "${contextObject.cluster}", which is not in your kubeconfig.`);
  }
  return {
    kc,
    context,
    server: cluster.server,
    namespace: opts.namespace ?? contextObject.namespace ?? 'default',
    apps: kc.makeApiClient(k8s.AppsV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    core: kc.makeApiClient(k8s.CoreV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    autoscaling: kc.makeApiClient(k8s.AutoscalingV2Api),
  };
}
