import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver';
import { freePort, startApiProcess, waitFor, type ApiHandle } from '../helpers/processes';
import { auth, queueFixture, roleEnv, type QueueFixture } from './support';

// The chart's protocol (http/protobuf) against a collector that goes away, comes back, and goes away again.
jest.setTimeout(120_000);

let fx: QueueFixture;
let api: ApiHandle | undefined;
let receiver: OtlpReceiver | undefined;

beforeAll(() => {
  fx = queueFixture('f-otel-outage');
});
afterAll(async () => {
  await api?.proc.stop();
  await receiver?.close();
  await fx.close();
});

test('with http/protobuf every collector outage is logged once, and each recovery too', async () => {
  const port = await freePort();
  api = await startApiProcess({
    ...roleEnv(fx.prefix),
    OTEL_SDK_DISABLED: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    // every request's spans, so the exporter has work during the outage
    OTEL_TRACES_SAMPLER: 'always_on',
    OTEL_EXPORTER_OTLP_TIMEOUT: '1500',
  });
  const proc = api.proc;
  const lines = (msg: string) => proc.logLines().filter((l) => String(l.msg).startsWith(msg));
  // traffic makes spans; each check sends one traced request
  const traffic = async () => void (await fetch(`${api!.url}/api/v1/campaigns?limit=1`, { headers: auth() })).arrayBuffer();
  const after = (what: string, check: () => boolean) => waitFor(what, async () => (await traffic(), check()), 40_000, 200);

  await after('the first outage logged', () => lines('span export failed').length === 1);
  receiver = await startOtlpReceiver({ protobuf: true, port });
  await after('the recovery logged and spans received', () => lines('span export recovered').length === 1 && receiver!.spans.length > 0);
  await receiver.close();
  receiver = undefined;
  await after('the second outage logged too', () => lines('span export failed').length === 2);
  receiver = await startOtlpReceiver({ protobuf: true, port });
  await after('the second recovery logged', () => lines('span export recovered').length === 2);

  // one line per outage, however many batches failed in it
  expect(lines('span export failed')).toHaveLength(2);
  expect(lines('span export failed')[0]).toMatchObject({ endpoint: `http://127.0.0.1:${port}/v1/traces` });
  expect(lines('span export recovered')[1]).toMatchObject({ failed_batches: expect.any(Number) });
});
