import { stringify } from 'yaml';
import type { HelmBlock, HelmIf, HelmSplice } from './templated';

/**
 * Helm template markers that survive cdk8s's `toJson()` (plain objects, non-null values) and that
 * `emitYaml` turns into template directives. Everything else in an object is ordinary YAML.
 */
export type Json = string | number | boolean | null | undefined | Json[] | { [key: string]: Json };

const BLOCK = '$helmBlock';
const IF = '$helmIf';
const SPLICE_PREFIX = '$helm:';

/** `key: {{- <expr> | nindent N }}`: a value rendered by a template function, e.g. `toYaml .Values.x`. */
export function block(expr: string): HelmBlock {
  return { [BLOCK]: expr };
}

/**
 * A map value or list item present only when `condition` holds (with an optional `otherwise`).
 * In a map: `{{- if cond }} key: then {{- else }} key: otherwise {{- end }}`; in a list: a guarded item.
 */
export function when<T, E = T>(condition: string, then: T, otherwise?: E): HelmIf<T | E> {
  return (otherwise === undefined ? { [IF]: condition, then } : { [IF]: condition, then, else: otherwise });
}

/**
 * A map entry that splices the lines a template produces into the surrounding map, e.g.
 * `...splice('include "pca-agent.labels" .')` → `{{- include "pca-agent.labels" . | nindent N }}`.
 */
export function splice(expr: string): HelmSplice {
  return { [SPLICE_PREFIX + expr]: true } as HelmSplice;
}

/** `{{ include "<name>" . }}`. */
export function include(name: string, context = '.'): string {
  return `{{ include "${name}" ${context} }}`;
}

type IfMarker = { readonly $helmIf: string; readonly then: Json; readonly else?: Json };
type BlockMarker = { readonly $helmBlock: string };
const isMap = (v: Json): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);
const isBlock = (v: Json): v is BlockMarker => isMap(v) && BLOCK in v;
const isIf = (v: Json): v is IfMarker => isMap(v) && IF in v;

const TEMPLATE = /\{\{.*?\}\}/g;
const PLAIN_SAFE = /^[A-Za-z0-9._/:-]*$/;

// Kubernetes and Helm parse YAML 1.1 (sigs.k8s.io/yaml), where `yes`, `on`, `no` are booleans: quote for 1.1.
const YAML_OPTS = { lineWidth: 0, version: '1.1' } as const;

function scalar(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  if (!value.includes('{{')) return stringify(value, YAML_OPTS).trimEnd();
  const literal = value.replace(TEMPLATE, '');
  const whole = value.match(TEMPLATE)?.length === 1 && value.startsWith('{{') && value.endsWith('}}');
  if (whole || (PLAIN_SAFE.test(literal) && value.startsWith('{{'))) return value;
  // Mixed text: double-quote the literal parts, keep the template parts verbatim (Helm renders first).
  let out = '';
  let last = 0;
  for (const m of value.matchAll(TEMPLATE)) {
    out += JSON.stringify(value.slice(last, m.index)).slice(1, -1) + m[0];
    last = m.index + m[0].length;
  }
  return `"${out}${JSON.stringify(value.slice(last)).slice(1, -1)}"`;
}

function key(k: string): string {
  return stringify(k, YAML_OPTS).trimEnd();
}

function isInline(v: Json): boolean {
  return v === null || typeof v !== 'object' || (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0);
}

function inline(v: Json): string {
  if (Array.isArray(v)) return '[]';
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') return '{}';
  return scalar(v);
}

function multiline(v: Json): v is string {
  return typeof v === 'string' && v.includes('\n');
}

/** Renders a JSON value (with markers) as Helm-template YAML lines at the given indentation. */
export function emitYaml(input: Json | object, indent = 0): string[] {
  const value = input as Json;
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      const keys = isMap(item) ? Object.keys(item) : [];
      if (keys.length === 1 && keys[0]!.startsWith(SPLICE_PREFIX)) {
        // A splice as a list item: the template yields list items (`- a`) at this list's indentation.
        lines.push(`${pad}{{- ${keys[0]!.slice(SPLICE_PREFIX.length)} | nindent ${indent} }}`);
      } else if (isIf(item)) {
        lines.push(`${pad}{{- if ${item[IF]} }}`, ...emitYaml([item.then], indent));
        if (item.else !== undefined) lines.push(`${pad}{{- else }}`, ...emitYaml([item.else], indent));
        lines.push(`${pad}{{- end }}`);
      } else if (isInline(item)) {
        lines.push(`${pad}- ${inline(item)}`);
      } else {
        const inner = emitYaml(item, indent + 2);
        const first = inner[0] ?? '';
        if (first.trimStart().startsWith('{{')) lines.push(`${pad}-`, ...inner);
        else lines.push(`${pad}- ${first.trimStart()}`, ...inner.slice(1));
      }
    }
    return lines;
  }
  if (!isMap(value)) return [`${pad}${inline(value)}`];
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (k.startsWith(SPLICE_PREFIX)) {
      lines.push(`${pad}{{- ${k.slice(SPLICE_PREFIX.length)} | nindent ${indent} }}`);
    } else if (isBlock(v)) {
      lines.push(`${pad}${key(k)}:`, `${pad}  {{- ${v[BLOCK]} | nindent ${indent + 2} }}`);
    } else if (isIf(v)) {
      lines.push(`${pad}{{- if ${v[IF]} }}`, ...emitYaml({ [k]: v.then }, indent));
      if (v.else !== undefined) lines.push(`${pad}{{- else }}`, ...emitYaml({ [k]: v.else }, indent));
      lines.push(`${pad}{{- end }}`);
    } else if (multiline(v)) {
      const chomp = v.endsWith('\n') ? '|' : '|-';
      const body = v.endsWith('\n') ? v.slice(0, -1) : v;
      lines.push(`${pad}${key(k)}: ${chomp}`, ...body.split('\n').map((l) => (l ? `${pad}  ${l}` : '')));
    } else if (isInline(v)) {
      lines.push(`${pad}${key(k)}: ${inline(v)}`);
    } else {
      lines.push(`${pad}${key(k)}:`, ...emitYaml(v, indent + 2));
    }
  }
  return lines;
}
