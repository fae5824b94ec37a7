import { ApiObject, type ApiObjectProps } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Json } from './template';

/** Object metadata whose labels/annotations may hold template markers (cdk8s types them as string maps). */
export interface HelmMetadata {
  readonly name: string;
  readonly labels?: { [key: string]: Json };
  readonly annotations?: Json;
}

export interface HelmObjectProps extends Omit<ApiObjectProps, 'metadata'> {
  readonly metadata: HelmMetadata;
}

export interface HelmObjectOptions {
  /** Template file under `templates/` the object is written to (objects may share a file). */
  readonly template: string;
  /**
   * Helm condition (the text inside `{{- if ... }}`) under which the object is rendered.
   * @default always rendered
   */
  readonly condition?: string;
  /** Template lines rendered before the object (e.g. a validation include). */
  readonly preamble?: string;
}

/** A Kubernetes object whose synthesized JSON becomes (part of) a Helm template. */
export class HelmObject extends ApiObject {
  readonly template: string;
  readonly condition?: string;
  readonly preamble?: string;

  constructor(scope: Construct, id: string, props: HelmObjectProps & HelmObjectOptions) {
    const { template, condition, preamble, metadata, ...rest } = props;
    super(scope, id, { ...(rest as Omit<ApiObjectProps, 'metadata'>), metadata: metadata as ApiObjectProps['metadata'] } as ApiObjectProps);
    if (!/^[a-z0-9-]+\.yaml$/.test(template)) throw new Error(`template file name "${template}" must be kebab-case .yaml`);
    this.template = template;
    if (condition !== undefined) this.condition = condition;
    if (preamble !== undefined) this.preamble = preamble;
  }
}
