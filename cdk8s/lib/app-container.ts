import { SERVICE_NAMES } from '../../services/src/telemetry/service-names';
import type { AppConfig } from './app-config';
import type { BlobStorage } from './blob-storage';
import type { k8s } from 'cdk8s-plus-27';
import { splice } from './helm/template';
import type { TemplatedItem, TemplatedObject } from './helm/templated';
import type { BlockRef } from './helm/values-definition';
import { APP_IMAGE, secureContainer, type ContainerProps, type Extras } from './pod-spec';
import type { Redis } from './redis';
import type { AppServiceAccount } from './service-account';
import type { ValueRefs } from './values';

/** The image's entry point with the telemetry preload (WORKDIR /app). */
export const APP_ENTRYPOINT = ['node', '--require', './dist/services/src/telemetry/instrumentation.js', 'dist/services/src/main.js'] as const;

export { SERVICE_NAMES };

/** What every app-image container needs, wired by reference. */
export interface AppContext {
  readonly values: ValueRefs;
  readonly config: AppConfig;
  readonly redis: Redis;
  readonly serviceAccount: AppServiceAccount;
  readonly blobs: BlobStorage;
}

export interface AppContainerProps {
  readonly name: string;
  readonly role: keyof typeof SERVICE_NAMES;
  /** Arguments after `main.js`, e.g. `['task', 'health_check']`. */
  readonly args: readonly string[];
  readonly resources: BlockRef;
  readonly ports?: ContainerProps['ports'];
  readonly probes?: ContainerProps['probes'];
  readonly env?: readonly TemplatedItem<k8s.EnvVar>[];
  /** The component's extraEnv / extraEnvFrom / extraVolumeMounts values. */
  readonly extras?: Extras;
  /** Mounts the blob store and gets its credentials (the pod must add `ctx.blobs.volumes()`). @default false */
  readonly blobs?: boolean;
}

/**
 * A container of the app image: config from the ConfigMap, REDIS_URL (and the CA of externalRedis.caSecret)
 * from the Redis construct; the pod must add `ctx.redis.caVolumes()`.
 */
export function appContainer(ctx: AppContext, props: AppContainerProps): TemplatedObject<k8s.Container> {
  return secureContainer({
    name: props.name,
    image: APP_IMAGE,
    imagePullPolicy: ctx.values.image.pullPolicy.text,
    command: [...APP_ENTRYPOINT, ...props.args],
    envFrom: [...ctx.config.envFrom(), ...(props.extras ? [splice(`include "pca-agent.toYamlIfAny" ${props.extras.extraEnvFrom.expr}`)] : [])],
    // extraEnv last: a later entry of the same name wins, and may use $(VAR) of the chart's entries.
    env: [
      { name: 'OTEL_SERVICE_NAME', value: SERVICE_NAMES[props.role] },
      ...ctx.redis.connectionEnv(),
      ...(props.env ?? []),
      ...(props.blobs ? ctx.blobs.env() : []),
      ...(props.extras ? [splice(`include "pca-agent.toYamlIfAny" ${props.extras.extraEnv.expr}`)] : []),
    ],
    volumeMounts: [
      ...ctx.redis.caVolumeMounts(),
      ...(props.blobs ? ctx.blobs.volumeMounts() : []),
      ...(props.extras ? [splice(`include "pca-agent.toYamlIfAny" ${props.extras.extraVolumeMounts.expr}`)] : []),
    ],
    resources: props.resources,
    ...(props.ports ? { ports: props.ports } : {}),
    ...(props.probes ? { probes: props.probes } : {}),
  });
}
