import { Construct } from 'constructs';
import type { k8s } from 'cdk8s-plus-27';
import { HelmObject } from './helm/helm-object';
import { when } from './helm/template';
import type { TemplatedItem } from './helm/templated';
import { metadata, nameOr, resourceName } from './names';
import type { ValueRefs } from './values';

/** Where the filesystem blob store is mounted in every app pod that touches files (BLOB_FS_DIR). */
export const BLOB_MOUNT_PATH = '/data/blobs';
const VOLUME = 'blobs';

export interface BlobStorageProps {
  readonly values: ValueRefs;
}

/**
 * The blob store of artifacts, uploads and backups (never the queue Redis). With `artifacts.backend:
 * filesystem` a PersistentVolumeClaim (or the user's existingClaim) that the API, the workers and the
 * CronJobs all mount; with `s3` the bucket settings in the ConfigMap and, when `existingSecret` is set,
 * static keys from it (without it the SDK's default chain applies: IRSA / Workload Identity).
 */
export class BlobStorage extends Construct {
  static readonly TEMPLATE = 'blob-storage.yaml';
  /** Condition under which the pods mount the shared volume. */
  readonly filesystem: string;
  readonly claimName: string;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: BlobStorageProps,
  ) {
    super(scope, id);
    const a = props.values.artifacts;
    this.filesystem = `(eq ${a.backend.expr} "filesystem")`;
    this.claimName = nameOr(a.filesystem.existingClaim, 'blobs');
    new HelmObject(this, 'pvc', {
      kind: 'PersistentVolumeClaim',
      metadata: metadata(resourceName('blobs'), 'app', {
        // a helm uninstall must not delete every report and upload with it
        annotations: { 'helm.sh/resource-policy': 'keep' },
      }),
      spec: {
        accessModes: [a.filesystem.accessMode.text],
        storageClassName: when(a.filesystem.storageClass.expr, a.filesystem.storageClass.text),
        resources: { requests: { storage: a.filesystem.size.text } },
      },
      template: BlobStorage.TEMPLATE,
      condition: `and ${this.filesystem} (not ${a.filesystem.existingClaim.expr})`,
    });
  }

  /** The pod volume (filesystem backend only). */
  volumes(): TemplatedItem<k8s.Volume>[] {
    return [when(this.filesystem, { name: VOLUME, persistentVolumeClaim: { claimName: this.claimName } })];
  }

  /** The container mount (filesystem backend only). */
  volumeMounts(): TemplatedItem<k8s.VolumeMount>[] {
    return [when(this.filesystem, { name: VOLUME, mountPath: BLOB_MOUNT_PATH })];
  }

  /** Static S3 keys from `artifacts.s3.existingSecret`, when one is named. */
  env(): TemplatedItem<k8s.EnvVar>[] {
    const s3 = this.props.values.artifacts.s3;
    const cond = `and (eq ${this.props.values.artifacts.backend.expr} "s3") ${s3.existingSecret.expr}`;
    const key = (name: string) => when(cond, { name, valueFrom: { secretKeyRef: { name: s3.existingSecret.text, key: name } } });
    return [key('AWS_ACCESS_KEY_ID'), key('AWS_SECRET_ACCESS_KEY')];
  }
}
