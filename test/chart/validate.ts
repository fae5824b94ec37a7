import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ValidationResult {
  readonly kind: string;
  readonly name: string;
  readonly errors: string[];
}

/**
 * Validates Kubernetes objects against kubernetes-models / @kubernetes-models schemas (plus client-node's
 * unknown-field walk for built-in kinds) in validate-objects.mjs: those packages are ESM-only
 * ("import" exports), which jest's resolver does not load, so they run in a plain Node process.
 */
export function validateObjects(objects: readonly object[]): ValidationResult[] {
  const file = join(mkdtempSync(join(tmpdir(), 'pca-validate-')), 'objects.json');
  writeFileSync(file, JSON.stringify(objects));
  const r = spawnSync(process.execPath, [join(__dirname, 'validate-objects.mjs'), file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`validator crashed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ValidationResult[];
}
