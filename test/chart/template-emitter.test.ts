import { block, emitYaml, splice, when } from '../../cdk8s/lib/helm/template';
import { valueRefs, v } from '../../cdk8s/lib/helm/values-definition';

describe('Helm template emitter (cdk8s JSON → template YAML)', () => {
  const refs = valueRefs(v.group('root', { a: v.group('a', { n: v.int(1, 'n'), s: v.str('x', 's'), on: v.bool(true, 'on'), r: v.block({}, 'r', { type: 'object' }) }) }));

  test('typed value references render as Helm expressions of their type', () => {
    expect(refs.a.n.value).toBe('{{ int64 .Values.a.n }}');
    expect(refs.a.s.value).toBe('{{ .Values.a.s | quote }}');
    expect(refs.a.n.str).toBe('{{ int64 .Values.a.n | quote }}');
    expect(refs.a.on.expr).toBe('.Values.a.on');
    expect(refs.a.r.toYaml).toEqual(block('toYaml .Values.a.r'));
  });

  test('markers become conditionals, splices and toYaml blocks at the right indentation', () => {
    const out = emitYaml({
      metadata: { labels: { ...splice('include "x.labels" .'), component: 'api' } },
      spec: {
        replicas: when(refs.a.on.expr, refs.a.n.value),
        resources: refs.a.r.toYaml,
        env: [{ name: 'A', value: 'yes' }, when('.Values.b', { name: 'B', value: '{{ include "x.fullname" . }}-b' }, { name: 'B', value: 'c d' })],
        name: '{{ include "x.fullname" . }}-api',
        url: 'redis://:$(P)@{{ include "x.fullname" . }}-redis:6379',
      },
    }).join('\n');
    expect(out).toBe(
      [
        'metadata:',
        '  labels:',
        '    {{- include "x.labels" . | nindent 4 }}',
        '    component: api',
        'spec:',
        '  {{- if .Values.a.on }}',
        '  replicas: {{ int64 .Values.a.n }}',
        '  {{- end }}',
        '  resources:',
        '    {{- toYaml .Values.a.r | nindent 4 }}',
        '  env:',
        '    - name: A',
        '      value: "yes"',
        '    {{- if .Values.b }}',
        '    - name: B',
        '      value: {{ include "x.fullname" . }}-b',
        '    {{- else }}',
        '    - name: B',
        '      value: c d',
        '    {{- end }}',
        '  name: {{ include "x.fullname" . }}-api',
        '  url: "redis://:$(P)@{{ include "x.fullname" . }}-redis:6379"',
      ].join('\n'),
    );
  });
});
