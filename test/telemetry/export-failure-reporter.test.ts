import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { ExportFailureReporter, REPORTED } from '../../services/src/telemetry/export-failure-reporter';

class ScriptedExporter implements SpanExporter {
  results: ExportResult[] = [];
  shutdownCalls = 0;
  export(_spans: ReadableSpan[], cb: (r: ExportResult) => void): void {
    const next = this.results.shift() ?? { code: ExportResultCode.SUCCESS };
    setImmediate(() => cb(next));
  }
  async shutdown(): Promise<void> {
    this.shutdownCalls++;
  }
}

const fail = (msg = 'connect ECONNREFUSED 127.0.0.1:4318'): ExportResult => ({ code: ExportResultCode.FAILED, error: new Error(msg) });
const ok: ExportResult = { code: ExportResultCode.SUCCESS };

function setup() {
  const inner = new ScriptedExporter();
  const log = { warn: jest.fn(), info: jest.fn() };
  const reporter = new ExportFailureReporter(inner, log, 'http://collector:4318/v1/traces');
  const send = (n = 2) => new Promise<ExportResult>((res) => reporter.export(new Array(n).fill({}) as ReadableSpan[], res));
  return { inner, log, reporter, send };
}

describe('ExportFailureReporter', () => {
  it('logs the first failure once, however many batches fail, and passes every result through', async () => {
    const { inner, log, send, reporter } = setup();
    inner.results = [fail(), fail(), fail(), fail()];
    const results = [await send(), await send(), await send(), await send()];
    expect(results.map((r) => r.code)).toEqual(Array(4).fill(ExportResultCode.FAILED));
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]![0]).toMatchObject({ endpoint: 'http://collector:4318/v1/traces' });
    expect(log.warn.mock.calls[0]![1]).toMatch(/^span export failed/);
    expect(reporter.failures).toBe(4);
    expect(results.every((r) => (r.error as Error & { [REPORTED]?: boolean })[REPORTED] === true)).toBe(true);
  });

  it('logs a recovery with the count, then logs the next outage once again', async () => {
    const { inner, log, send } = setup();
    inner.results = [fail(), fail(), ok, ok, fail('timeout'), fail('timeout')];
    for (let i = 0; i < 6; i++) await send(3);
    expect(log.info).toHaveBeenCalledTimes(1);
    expect(log.info.mock.calls[0]).toEqual([{ failed_batches: 2, failed_spans: 6, endpoint: 'http://collector:4318/v1/traces' }, 'span export recovered']);
    expect(log.warn).toHaveBeenCalledTimes(2);
  });

  it('reports a throwing exporter as a failed export instead of throwing into the batch processor', async () => {
    const { inner, log, send } = setup();
    inner.export = () => {
      throw new Error('serializer broke');
    };
    const r = await send();
    expect(r.code).toBe(ExportResultCode.FAILED);
    expect(log.warn).toHaveBeenCalledTimes(1);
  });

  it('describes the current outage until an export succeeds, and shuts the inner exporter down', async () => {
    const { inner, send, reporter } = setup();
    expect(reporter.outage).toBeUndefined();
    inner.results = [fail(), fail(), ok];
    await send(5);
    await send(1);
    expect(reporter.outage).toEqual({ failed_batches: 2, failed_spans: 6, endpoint: 'http://collector:4318/v1/traces' });
    await send(1);
    expect(reporter.outage).toBeUndefined();
    await reporter.shutdown();
    expect(inner.shutdownCalls).toBe(1);
  });
});
