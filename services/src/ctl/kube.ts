import type * as K8s from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

// client-node is ESM-only; Node 24 require()s it from our CommonJS build, and jest transforms it.
// eslint-disable-next-line @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-assignment
export const k8s: typeof K8s = require('@kubernetes/client-node');

export type KubeConfig = K8s.KubeConfig;
export type KubernetesObject = K8s.KubernetesObject;
export type KubernetesListObject<T extends KubernetesObject> = K8s.KubernetesListObject<T>;
export type V1Deployment = K8s.V1Deployment;
export type V1StatefulSet = K8s.V1StatefulSet;
export type V1CronJob = K8s.V1CronJob;
export type V1Job = K8s.V1Job;
export type V1Pod = K8s.V1Pod;
export type V1Service = K8s.V1Service;
export type V1ServicePort = K8s.V1ServicePort;
export type V2HorizontalPodAutoscaler = K8s.V2HorizontalPodAutoscaler;
export type AppsV1Api = K8s.AppsV1Api;
export type BatchV1Api = K8s.BatchV1Api;
export type CoreV1Api = K8s.CoreV1Api;
export type CustomObjectsApi = K8s.CustomObjectsApi;
export type AutoscalingV2Api = K8s.AutoscalingV2Api;

/** The fields of a KEDA ScaledObject (keda.sh/v1alpha1) the ctl reads; client-node has no model for it. */
export interface ScaledObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: {
    scaleTargetRef?: { name?: string; kind?: string };
    minReplicaCount?: number;
    maxReplicaCount?: number;
  };
  status?: {
    hpaName?: string;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
  };
}
