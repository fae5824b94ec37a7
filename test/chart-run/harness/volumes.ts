import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Container, Release, Workload } from './release';
import { WiringError } from './wiring-error';

/**
 * Writable pod volumes as local directories: a PersistentVolumeClaim is one directory per claim, shared
 * by every pod that mounts it (as pods on one node share a ReadWriteOnce volume), an emptyDir one per
 * pod. A path the app is given (an env value such as BLOB_FS_DIR) under such a mount is rewritten to the
 * directory; the processes then share files exactly when the pods would.
 */
export class Volumes {
  private readonly root = mkdtempSync(join(tmpdir(), 'chart-run-volumes-'));

  constructor(private readonly release: Release) {}

  private dirOf(workload: Workload, mount: { name: string }, where: string): string | undefined {
    const volume = (workload.template.spec.volumes ?? []).find((v: any) => v.name === mount.name);
    if (!volume) throw new WiringError(`${where}: volumeMount "${mount.name}" names no volume of the pod`);
    let dir: string | undefined;
    if (volume.persistentVolumeClaim) {
      const claim = String(volume.persistentVolumeClaim.claimName);
      const rendered = this.release.get('PersistentVolumeClaim', claim);
      if (!rendered && this.release.values.artifacts?.filesystem?.existingClaim !== claim) {
        throw new WiringError(`${where}: volume "${mount.name}" uses PersistentVolumeClaim ${claim}, which is neither rendered nor the user's existing claim`);
      }
      dir = join(this.root, 'pvc', claim);
    } else if (volume.emptyDir) {
      dir = join(this.root, 'emptydir', workload.ref.replace(/\//g, '_'), mount.name);
    }
    if (dir) mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** The value with a path under a writable mount of the container replaced by its local directory. */
  rewritePath(value: string, workload: Workload, container: Container, where: string): string {
    if (!value.startsWith('/')) return value;
    const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => b.mountPath.length - a.mountPath.length);
    const mount = mounts.find((m) => value === m.mountPath || value.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
    if (!mount) return value;
    const dir = this.dirOf(workload, mount, where);
    return dir ? join(dir, mount.subPath ?? '', posix.relative(mount.mountPath, value)) : value;
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
