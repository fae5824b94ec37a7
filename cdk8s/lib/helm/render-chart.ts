import type { Chart } from 'cdk8s';
import { stringify } from 'yaml';
import { HelmObject } from './helm-object';
import { emitYaml, type Json } from './template';
import { jsonSchema, valuesYaml, type GroupNode } from './values-definition';

export interface ChartFilesOptions {
  readonly name: string;
  readonly description: string;
  readonly version: string;
  readonly appVersion: string;
  readonly kubeVersion: string;
  readonly values: GroupNode;
  readonly valuesHeader: string;
  readonly helpers: string;
  readonly notes: string;
  /** Scenario values files written to `ci/<name>.yaml`. */
  readonly scenarios: Record<string, Json>;
  readonly extra?: Record<string, string>;
}

/** Turns the constructs of a cdk8s chart into the files of a Helm chart (path → content). */
export function renderChart(chart: Chart, opts: ChartFilesOptions): Map<string, string> {
  const files = new Map<string, string>();
  files.set(
    'Chart.yaml',
    stringify(
      {
        apiVersion: 'v2',
        name: opts.name,
        description: opts.description,
        type: 'application',
        version: opts.version,
        appVersion: opts.appVersion,
        kubeVersion: opts.kubeVersion,
      },
      { lineWidth: 0 },
    ),
  );
  files.set('values.yaml', valuesYaml(opts.values, opts.valuesHeader));
  files.set('values.schema.json', `${JSON.stringify(jsonSchema(opts.values), null, 2)}\n`);
  files.set('templates/_helpers.tpl', opts.helpers);
  files.set('templates/NOTES.txt', opts.notes);
  files.set('.helmignore', ['.DS_Store', '*.swp', '*.bak', '*.tmp', '*.orig', '*~', '.git/', ''].join('\n'));
  for (const [name, values] of Object.entries(opts.scenarios)) {
    files.set(`ci/${name}.yaml`, stringify(values, { lineWidth: 0, version: '1.1' }));
  }
  for (const [path, content] of Object.entries(opts.extra ?? {})) files.set(path, content);

  const byTemplate = new Map<string, string[]>();
  const objects = chart.node.findAll().filter((c): c is HelmObject => c instanceof HelmObject);
  for (const obj of objects) {
    const body = emitYaml(obj.toJson() as Json, 0);
    const doc = obj.condition ? [`{{- if ${obj.condition} }}`, ...body, '{{- end }}'] : body;
    const docs = byTemplate.get(obj.template) ?? [];
    docs.push([...(obj.preamble ? [obj.preamble] : []), '---', ...doc].join('\n'));
    byTemplate.set(obj.template, docs);
  }
  for (const [template, docs] of byTemplate) {
    const path = `templates/${template}`;
    if (files.has(path)) throw new Error(`template ${path} is written twice`);
    files.set(path, `${docs.join('\n')}\n`);
  }
  return new Map([...files].sort(([a], [b]) => a.localeCompare(b)));
}
