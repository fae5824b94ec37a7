import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { conventionProblems, labelValues, parsePrometheusText, PrometheusParseError } from './prometheus-text';

describe('parsePrometheusText', () => {
  it('parses what prom-client writes, including escapes, histograms and default metrics', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const h = new Histogram({ name: 'x_duration_seconds', help: 'h', labelNames: ['route'], buckets: [0.1, 1], registers: [registry] });
    const c = new Counter({ name: 'x_events_total', help: 'c', labelNames: ['kind'], registers: [registry] });
    h.observe({ route: '/a/:id' }, 0.5);
    c.inc({ kind: 'quote"back\\slash\nnewline' });
    const fams = parsePrometheusText(await registry.metrics());
    const hist = fams.get('x_duration_seconds')!;
    expect(hist.type).toBe('histogram');
    expect(hist.samples.filter((s) => s.name === 'x_duration_seconds_bucket').map((s) => [s.labels.le, s.value])).toEqual([
      ['0.1', 0],
      ['1', 1],
      ['+Inf', 1],
    ]);
    expect(labelValues(fams.get('x_events_total')!, 'kind')).toEqual(new Set(['quote"back\\slash\nnewline']));
    expect(fams.get('process_cpu_seconds_total')?.type).toBe('counter');
    expect(conventionProblems(fams)).toEqual([]);
  });

  it.each([
    ['a sample without a value', 'x_total{a="b"}'],
    ['an unquoted label value', 'x_total{a=b} 1'],
    ['a bad escape', 'x_total{a="\\t"} 1'],
    ['an unterminated label set', 'x_total{a="b" 1'],
    ['a bad metric name', '9x 1'],
    ['a non-numeric value', 'x 1,5'],
    ['an unknown type', '# TYPE x countr'],
    ['TYPE after samples', 'x 1\n# TYPE x gauge'],
  ])('rejects %s', (_why, text) => {
    expect(() => parsePrometheusText(text)).toThrow(PrometheusParseError);
  });

  it('flags convention problems', async () => {
    const registry = new Registry();
    new Counter({ name: 'jobs_done', help: 'c', registers: [registry] }).inc();
    new Gauge({ name: 'request_latency_ms', help: 'g', registers: [registry] }).set(1);
    const problems = conventionProblems(parsePrometheusText(await registry.metrics()));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('jobs_done: counter without _total'),
        expect.stringContaining('request_latency_ms: time without _seconds'),
        expect.stringContaining('request_latency_ms: milliseconds'),
      ]),
    );
  });
});
