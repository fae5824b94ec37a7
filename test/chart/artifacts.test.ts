import { join } from 'node:path';
import { CHART_DIR, find, helm, podSpecs, render, type K8sObject } from './helm';

const APP_PODS = ['rel-pca-agent-api', 'rel-pca-agent-worker'];

function configOf(objects: K8sObject[]): Record<string, string> {
  return (find(objects, 'ConfigMap', 'rel-pca-agent-config') as any).data;
}

/** Pods that mount the blob store: the API, the workers and every CronJob. */
function blobPods(objects: K8sObject[]) {
  return podSpecs(objects).filter((p) => APP_PODS.includes(p.owner.metadata.name) || p.owner.kind === 'CronJob');
}

describe('artifacts blob store in the chart', () => {
  test('default: a ReadWriteOnce PVC kept across uninstall, mounted at BLOB_FS_DIR by the API, workers and CronJobs', () => {
    const objects = render();
    const pvc = find(objects, 'PersistentVolumeClaim', 'rel-pca-agent-blobs') as any;
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } });
    expect(pvc.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    expect(configOf(objects)).toMatchObject({ BLOB_BACKEND: 'filesystem', BLOB_FS_DIR: '/data/blobs' });
    const pods = blobPods(objects);
    expect(pods.length).toBeGreaterThanOrEqual(5);
    for (const { owner, spec } of pods) {
      expect({ owner: owner.metadata.name, volume: spec.volumes.find((v: any) => v.name === 'blobs') }).toEqual({
        owner: owner.metadata.name,
        volume: { name: 'blobs', persistentVolumeClaim: { claimName: 'rel-pca-agent-blobs' } },
      });
      expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'blobs', mountPath: '/data/blobs' });
    }
    // the dashboard touches no files
    const dash = podSpecs(objects).find((p) => p.owner.metadata.name === 'rel-pca-agent-dashboard')!;
    expect(dash.spec.volumes.some((v: any) => v.name === 'blobs')).toBe(false);
  });

  test('filesystem with ReadWriteMany and an existing claim: no PVC is created and the pods use the given one', () => {
    const rwx = render(['-f', join(CHART_DIR, 'ci', 'filesystem-rwx-values.yaml')]);
    expect((find(rwx, 'PersistentVolumeClaim', 'rel-pca-agent-blobs') as any).spec).toEqual({
      accessModes: ['ReadWriteMany'], storageClassName: 'nfs-client', resources: { requests: { storage: '50Gi' } },
    });
    const existing = render(['--set', 'artifacts.filesystem.existingClaim=shared-files']);
    expect(existing.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
    for (const { spec } of blobPods(existing)) {
      expect(spec.volumes).toContainEqual({ name: 'blobs', persistentVolumeClaim: { claimName: 'shared-files' } });
    }
  });

  test('s3: no volume, the bucket settings in the ConfigMap, static keys only from existingSecret', () => {
    const withKeys = render(['-f', join(CHART_DIR, 'ci', 's3-artifacts-values.yaml')]);
    expect(withKeys.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
    expect(configOf(withKeys)).toMatchObject({
      BLOB_BACKEND: 's3', S3_BUCKET: 'pca-artifacts', S3_ENDPOINT: 'http://minio.example.internal:9000',
      S3_PREFIX: 'prod', S3_FORCE_PATH_STYLE: 'true', S3_REGION: 'us-east-1', REPORT_DOWNLOAD_MODE: 'redirect',
    });
    for (const { spec } of blobPods(withKeys)) {
      expect(spec.volumes.some((v: any) => v.name === 'blobs')).toBe(false);
      expect(spec.containers[0].env).toContainEqual({ name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'pca-s3-keys', key: 'AWS_ACCESS_KEY_ID' } } });
      expect(spec.containers[0].env).toContainEqual({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'pca-s3-keys', key: 'AWS_SECRET_ACCESS_KEY' } } });
    }
    // NetworkPolicies let the app pods (and, with redirect downloads, the helm test) reach the bucket's port
    const policies = render(['-f', join(CHART_DIR, 'ci', 's3-artifacts-values.yaml'), '--set', 'networkPolicy.enabled=true']);
    for (const name of ['api-netpol', 'worker-netpol', 'cronjob-netpol', 'test-netpol']) {
      const np = find(policies, 'NetworkPolicy', `rel-pca-agent-${name}`) as any;
      expect({ name, egress: np.spec.egress }).toEqual({ name, egress: expect.arrayContaining([{ ports: [{ port: 443, protocol: 'TCP' }] }]) });
    }
    const fsPolicies = render(['--set', 'networkPolicy.enabled=true']);
    expect(JSON.stringify(fsPolicies.filter((o) => o.kind === 'NetworkPolicy'))).not.toContain('"port":443');
    // IRSA / Workload Identity: no keys set at all, the SDK's default chain finds the web-identity token
    const irsa = render(['--set', 'artifacts.backend=s3', '--set', 'artifacts.s3.bucket=b-1', '--set', 'serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::1:role/pca']);
    for (const { spec } of blobPods(irsa)) {
      expect((spec.containers[0].env as { name: string }[]).filter((e) => e.name.startsWith('AWS_'))).toEqual([]);
    }
  });

  test('NOTES say where the files live, that several nodes need ReadWriteMany or S3, and how to switch', () => {
    const notes = (args: string[]) => {
      const r = helm(['install', 'rel', CHART_DIR, '--dry-run=client', '--namespace', 'pca', ...args]);
      expect(r.status).toBe(0);
      return r.stdout.slice(r.stdout.indexOf('NOTES:'));
    };
    const fs = notes([]);
    expect(fs).toContain('PVC rel-pca-agent-blobs (ReadWriteOnce)');
    expect(fs).toMatch(/several\s+nodes use artifacts\.filesystem\.accessMode=ReadWriteMany/);
    expect(fs).toContain('--set artifacts.backend=s3');
    expect(notes(['-f', join(CHART_DIR, 'ci', 's3-artifacts-values.yaml')])).toContain('bucket pca-artifacts under prod/ at http://minio.example.internal:9000; credentials: Secret pca-s3-keys');
  });
});
