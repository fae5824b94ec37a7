import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from './helm';

jest.setTimeout(60_000);

/** Type-checks a construct snippet the way `npm run typecheck` would, and returns the error messages. */
function typeErrors(body: string): string[] {
  const file = join(ROOT, 'cdk8s', 'lib', `.typed-spec-probe-${process.pid}.ts`);
  writeFileSync(
    file,
    `import { Chart, App } from 'cdk8s';\nimport { HelmObject } from './helm/helm-object';\nimport { when } from './helm/template';\nconst scope = new Chart(new App(), 'probe');\nvoid when;\n${body}\n`,
  );
  try {
    const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
    const program = ts.createProgram([file], { ...config.options, noEmit: true });
    return ts
      .getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  } finally {
    rmSync(file, { force: true });
  }
}

const deployment = (spec: string) => `new HelmObject(scope, 'd', { kind: 'Deployment', metadata: { name: 'x' }, template: 'x.yaml', spec: ${spec} });`;

describe('manifests are typed with the k8s interfaces of cdk8s-plus-27', () => {
  test('a correct spec with Helm expressions and markers type-checks', () => {
    expect(
      typeErrors(
        deployment(`{
          replicas: when('not .Values.autoscaling', '{{ .Values.replicaCount }}'),
          selector: { matchLabels: { app: 'x' } },
          template: { spec: { containers: [{ name: 'c', image: '{{ include "img" . }}', ports: [{ containerPort: 8000 }] }] } },
        }`),
      ),
    ).toEqual([]);
  });

  test.each([
    ['spec.replica', `{ replica: 2, selector: { matchLabels: {} } }`, /'replica' does not exist/],
    ['a probe field', `{ selector: {}, template: { spec: { containers: [{ name: 'c', readinesProbe: {} }] } } }`, /'readinesProbe' does not exist/],
    ['a wrong type', `{ selector: {}, template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: true }] }] } } }`, /not assignable/],
  ])('a misspelt or mistyped field fails: %s', (_what, spec, message) => {
    const errors = typeErrors(deployment(spec));
    expect(errors.some((e) => message.test(e))).toBe(true);
  });

  test('a kind-specific body: a Service field on a ConfigMap fails', () => {
    const errors = typeErrors(`new HelmObject(scope, 'c', { kind: 'ConfigMap', metadata: { name: 'x' }, template: 'x.yaml', spec: { ports: [] } });`);
    expect(errors.some((e) => /'spec' does not exist/.test(e))).toBe(true);
  });
});
