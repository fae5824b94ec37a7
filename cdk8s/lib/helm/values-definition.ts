import { stringify } from 'yaml';
import { block, type Json } from './template';
import type { HelmBlock } from './templated';

/**
 * One typed values definition drives three outputs: `values.yaml` (every key documented in the line
 * above it), `values.schema.json` (closed objects, types, ranges, patterns) and the typed references
 * the constructs use (`values.api.replicaCount.value` → `{{ .Values.api.replicaCount }}`).
 */
export type JsonSchema = { [key: string]: Json | JsonSchema };

interface NodeBase {
  readonly description: string;
}

/** `auto-integer`: the string "auto" (the chart works the number out) or an integer. */
export type LeafType = 'string' | 'integer' | 'number' | 'boolean' | 'auto-integer';

export interface LeafNode<T extends string | number | boolean> extends NodeBase {
  readonly kind: 'leaf';
  readonly type: LeafType;
  readonly default: T;
  readonly schema: JsonSchema;
}

/** A free-form value (resources, nodeSelector, a list of peers) passed through with `toYaml`. */
export interface BlockNode extends NodeBase {
  readonly kind: 'block';
  readonly default: Json;
  readonly schema: JsonSchema;
}

export interface GroupNode<P extends Record<string, ValueNode> = Record<string, ValueNode>> extends NodeBase {
  readonly kind: 'group';
  readonly props: P;
  /** Extra schema keywords (if/then, not, ...) on this object. */
  readonly schema?: JsonSchema;
}

export type ValueNode = LeafNode<string> | LeafNode<number> | LeafNode<boolean> | LeafNode<'auto' | number> | BlockNode | GroupNode;

export interface LeafOptions {
  readonly enum?: readonly (string | number)[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** Values rejected although the pattern allows them (Go's regexp has no lookahead). */
  readonly notEnum?: readonly string[];
}

function leafSchema(type: string, opts: LeafOptions): JsonSchema {
  const s: JsonSchema = { type };
  if (opts.enum) s.enum = [...opts.enum];
  if (opts.minimum !== undefined) s.minimum = opts.minimum;
  if (opts.maximum !== undefined) s.maximum = opts.maximum;
  if (opts.pattern !== undefined) s.pattern = opts.pattern;
  if (opts.minLength !== undefined) s.minLength = opts.minLength;
  if (opts.maxLength !== undefined) s.maxLength = opts.maxLength;
  if (opts.notEnum) s.not = { enum: [...opts.notEnum] };
  return s;
}

export const v = {
  str(def: string, description: string, opts: LeafOptions = {}): LeafNode<string> {
    return { kind: 'leaf', type: 'string', default: def, description, schema: leafSchema('string', opts) };
  },
  int(def: number, description: string, opts: LeafOptions = {}): LeafNode<number> {
    return { kind: 'leaf', type: 'integer', default: def, description, schema: leafSchema('integer', opts) };
  },
  num(def: number, description: string, opts: LeafOptions = {}): LeafNode<number> {
    return { kind: 'leaf', type: 'number', default: def, description, schema: leafSchema('number', opts) };
  },
  bool(def: boolean, description: string): LeafNode<boolean> {
    return { kind: 'leaf', type: 'boolean', default: def, description, schema: { type: 'boolean' } };
  },
  /** "auto" or an integer within opts' bounds; a named template resolves "auto" (see the leaf's users). */
  autoInt(def: 'auto' | number, description: string, opts: LeafOptions = {}): LeafNode<'auto' | number> {
    return { kind: 'leaf', type: 'auto-integer', default: def, description, schema: { anyOf: [{ type: 'string', enum: ['auto'] }, leafSchema('integer', opts)] } };
  },
  block(def: Json, description: string, schema: JsonSchema): BlockNode {
    return { kind: 'block', default: def, description, schema };
  },
  group<P extends Record<string, ValueNode>>(description: string, props: P, schema?: JsonSchema): GroupNode<P> {
    return schema ? { kind: 'group', description, props, schema } : { kind: 'group', description, props };
  },
};

/** A reference to one leaf: renders as a Helm expression where the constructs place it. */
export class LeafRef {
  constructor(
    readonly path: string[],
    readonly type: LeafType,
  ) {}
  /** `.Values.a.b`, for conditions and function arguments. */
  get expr(): string {
    return `.Values.${this.path.join('.')}`;
  }
  /**
   * The expression to print: Helm reads every YAML number as a float64 and prints large ones in
   * exponent form (1048576 → 1.048576e+06), so integers go through `int64`.
   */
  private get printed(): string {
    return this.type === 'integer' ? `int64 ${this.expr}` : this.expr;
  }
  /** The value as YAML of its own type: strings quoted, numbers and booleans bare. */
  get value(): string {
    return this.type === 'string' ? `{{ ${this.expr} | quote }}` : `{{ ${this.printed} }}`;
  }
  /** Always a quoted string (env values, KEDA metadata, annotations). */
  get str(): string {
    return `{{ ${this.printed} | quote }}`;
  }
  /** Bare text, to be embedded inside a larger string. */
  get text(): string {
    return `{{ ${this.printed} }}`;
  }
}

export class BlockRef {
  constructor(readonly path: string[]) {}
  get expr(): string {
    return `.Values.${this.path.join('.')}`;
  }
  /** `key:` followed by `toYaml` of the value. */
  get toYaml(): HelmBlock {
    return block(`toYaml ${this.expr}`);
  }
}

export type Refs<N> =
  N extends GroupNode<infer P> ? { readonly [K in keyof P]: Refs<P[K]> } & { readonly $expr: string }
  : N extends BlockNode ? BlockRef
  : LeafRef;

export function valueRefs<N extends GroupNode>(root: N): Refs<N> {
  const build = (node: ValueNode, path: string[]): unknown => {
    if (node.kind === 'leaf') return new LeafRef(path, node.type);
    if (node.kind === 'block') return new BlockRef(path);
    const out: Record<string, unknown> = { $expr: path.length ? `.Values.${path.join('.')}` : '.Values' };
    for (const [k, child] of Object.entries(node.props)) out[k] = build(child, [...path, k]);
    return out;
  };
  return build(root, []) as Refs<N>;
}

export function defaults(node: ValueNode): Json {
  if (node.kind !== 'group') return node.default;
  const out: { [k: string]: Json } = {};
  for (const [k, child] of Object.entries(node.props)) out[k] = defaults(child);
  return out;
}

export function jsonSchema(node: ValueNode, root = true): JsonSchema {
  if (node.kind === 'leaf' || node.kind === 'block') return { description: node.description, ...node.schema };
  const properties: JsonSchema = {};
  for (const [k, child] of Object.entries(node.props)) properties[k] = jsonSchema(child, false);
  const s: JsonSchema = root ? { $schema: 'http://json-schema.org/draft-07/schema#' } : {};
  return {
    ...s,
    description: node.description,
    type: 'object',
    additionalProperties: false,
    properties,
    ...(node.schema ?? {}),
  };
}

/** values.yaml with the description of every key in a comment line above it. */
export function valuesYaml(root: GroupNode, header: string): string {
  const lines: string[] = header.split('\n').map((l) => `# ${l}`.trimEnd());
  const walk = (node: GroupNode, indent: number) => {
    const pad = ' '.repeat(indent);
    for (const [k, child] of Object.entries(node.props)) {
      if (indent === 0) lines.push('');
      lines.push(`${pad}# ${child.description}`);
      if (child.kind === 'group') {
        lines.push(`${pad}${k}:`);
        walk(child, indent + 2);
      } else {
        const text = stringify({ [k]: defaults(child) }, { lineWidth: 0, version: '1.1' }).trimEnd();
        lines.push(...text.split('\n').map((l) => pad + l));
      }
    }
  };
  walk(root, 0);
  return `${lines.join('\n')}\n`;
}

/** A Markdown table of every key (dotted path, default, description), from the same definition as values.yaml. */
export function valuesTable(root: GroupNode): string {
  const rows: string[] = ['| key | default | description |', '| --- | --- | --- |'];
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const walk = (node: GroupNode, path: string[]) => {
    for (const [k, child] of Object.entries(node.props)) {
      const p = [...path, k];
      if (child.kind === 'group') walk(child, p);
      else rows.push(`| \`${p.join('.')}\` | \`${cell(JSON.stringify(defaults(child)))}\` | ${cell(child.description)} |`);
    }
  };
  walk(root, []);
  return `${rows.join('\n')}\n`;
}
