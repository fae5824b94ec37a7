import { diag } from '@opentelemetry/api';
import { globalErrorHandler } from '@opentelemetry/core';
import type { Logger } from 'pino';
import { installDiagnostics, OnceFilter, reportTelemetryError } from '../../services/src/telemetry/diagnostics';
import { REPORTED } from '../../services/src/telemetry/export-failure-reporter';

function fakeLogger() {
  const calls: { level: string; args: unknown[] }[] = [];
  const at = (level: string) => (...args: unknown[]) => calls.push({ level, args });
  const log = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace') };
  return { log: log as unknown as Logger, calls };
}

describe('OnceFilter', () => {
  it('passes each message once, treating numbers as the same message', () => {
    const f = new OnceFilter();
    expect(f.first('Export retry time 1006ms exceeds remaining timeout 498ms')).toBe(true);
    expect(f.first('Export retry time 822ms exceeds remaining timeout 12ms')).toBe(false);
    expect(f.first('Dropped 3 spans because maxQueueSize reached')).toBe(true);
  });
});

describe('installDiagnostics', () => {
  afterAll(() => diag.disable());

  it('routes SDK diagnostics at or above the level into the log, once per message', () => {
    const { log, calls } = fakeLogger();
    installDiagnostics(log, 'warn');
    diag.warn('Dropped 5 spans because maxQueueSize reached');
    diag.warn('Dropped 9 spans because maxQueueSize reached');
    diag.info('not at this level');
    diag.error('exporter misconfigured', new Error('bad url'));
    expect(calls).toEqual([
      { level: 'warn', args: ['Dropped 5 spans because maxQueueSize reached'] },
      { level: 'error', args: ['exporter misconfigured bad url'] },
    ]);
  });

  it('the global error handler skips errors the export wrapper logged and repeats of a message', () => {
    const { log, calls } = fakeLogger();
    installDiagnostics(log, 'warn');
    const reported = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:4318'), { [REPORTED]: true });
    globalErrorHandler(reported);
    globalErrorHandler(new Error('Timeout'));
    globalErrorHandler(new Error('Timeout'));
    expect(calls.map((c) => c.args[1])).toEqual(['telemetry error: Timeout']);
    expect(reportTelemetryError(log, new Error('Timeout'), 'at shutdown')).toBe(false);
  });
});
