import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART_DIR, helm, parseManifests } from './helm';

/**
 * NOTES.txt as `helm install` would print it, rendered offline: `helm install --dry-run` takes no
 * --api-versions, so a copy of the chart wraps NOTES.txt in a ConfigMap that `helm template` renders.
 */
export function renderNotes(args: readonly string[]): string {
  const chart = join(mkdtempSync(join(tmpdir(), 'pca-notes-')), 'pca-agent');
  cpSync(CHART_DIR, chart, { recursive: true });
  const notes = readFileSync(join(chart, 'templates', 'NOTES.txt'), 'utf8');
  writeFileSync(
    join(chart, 'templates', 'notes-probe.yaml'),
    `{{- define "notes-probe" }}${notes}{{- end }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-probe\ndata:\n  notes: {{ include "notes-probe" . | quote }}\n`,
  );
  const r = helm(['template', 'rel', chart, '--namespace', 'pca', '--show-only', 'templates/notes-probe.yaml', ...args]);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  const [cm] = parseManifests(r.stdout) as unknown as { data: { notes: string } }[];
  return cm!.data.notes;
}
