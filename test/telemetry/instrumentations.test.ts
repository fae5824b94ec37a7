import { isUntracedRequest, redisStatement } from '../../services/src/telemetry/instrumentations';
import { packageVersion } from '../../services/src/lib/package-version';
import { defaultServiceName, resolveServiceName, tracesEndpoint } from '../../services/src/telemetry/sdk';

describe('isUntracedRequest', () => {
  it.each(['/health', '/ready', '/metrics', '/metrics?x=1', '/health/', '/healthz', '/livez'])('skips %s', (url) => {
    expect(isUntracedRequest({ url })).toBe(true);
  });
  it.each(['/', '/api/v1/analyze-async', '/api/v1/health-report', '/metricsx', '/api/v1/metrics'])('traces %s', (url) => {
    expect(isUntracedRequest({ url })).toBe(false);
  });
});

describe('redisStatement', () => {
  it('keeps the command and key, never the value', () => {
    expect(redisStatement('set', ['pca:k', 'secret-value', 'EX', 10])).toBe('SET pca:k [3 other arguments]');
    expect(redisStatement('get', ['pca:k'])).toBe('GET pca:k');
    expect(redisStatement('ping', [])).toBe('PING');
  });
  it('keeps the keys of a script call and drops its arguments (BullMQ job payloads)', () => {
    const payload = JSON.stringify({ campaigns: Array(100).fill({ name: 'x' }) });
    const s = redisStatement('evalsha', ['abc123', 2, 'pca:bull:reports:wait', 'pca:bull:reports:id', payload, 'opts']);
    expect(s).toBe('EVALSHA abc123 2 pca:bull:reports:wait pca:bull:reports:id [2 other arguments]');
    expect(redisStatement('eval', ['return 1', 0, 'arg'])).toBe('EVAL <script> 0 [1 other arguments]');
  });
  it('bounds the length', () => {
    const keys = Array.from({ length: 50 }, (_, i) => `pca:bull:reports:key-${i}`);
    const s = redisStatement('evalsha', ['sha', keys.length, ...keys]);
    expect(s.length).toBeLessThanOrEqual(256);
    expect(s.endsWith('…')).toBe(true);
  });
  it('shows buffers as placeholders', () => {
    expect(redisStatement('get', [Buffer.from('k')])).toBe('GET <buffer>');
  });
});

describe('service identity', () => {
  it.each([
    ['api', 'pca-agent-api'],
    ['worker', 'pca-agent-worker'],
    ['dashboard', 'pca-agent-dashboard'],
    ['task', 'pca-agent-task'],
    ['seed', 'pca-agent'],
    ['constructor', 'pca-agent'],
    [undefined, 'pca-agent'],
  ])('role %s reports %s', (role, name) => {
    const argv = ['node', 'dist/services/src/main.js', ...(role ? [role] : [])];
    expect(defaultServiceName(argv)).toBe(name);
    expect(resolveServiceName(argv, {})).toBe(name);
  });
  it('OTEL_SERVICE_NAME wins over the role', () => {
    expect(resolveServiceName(['node', 'main.js', 'api'], { OTEL_SERVICE_NAME: 'custom' })).toBe('custom');
  });
  it('reads the version of the pca-agent package', () => {
    expect(packageVersion()).toBe((require('../../package.json') as { version: string }).version);
  });
  it('derives the traces endpoint like the OTLP exporter does', () => {
    expect(tracesEndpoint({})).toBe('http://localhost:4318/v1/traces');
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' })).toBe('http://c:4318/v1/traces');
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/x' })).toBe('http://t/x');
  });
});
