import request from 'supertest';
import { auth, campaignBody, cleanup, makeApp, ready, testPrefix, type TestApp } from './helpers';

let prefix: string;
let a: TestApp;

beforeEach(async () => {
  prefix = testPrefix('val');
  a = makeApp(prefix, { BODY_LIMIT_BYTES: '2048' });
  await ready(a.redis);
});
afterEach(() => cleanup(prefix, a));

const fields = (res: request.Response) => (res.body.errors as { field: string; location: string }[]).map((e) => `${e.location}.${e.field}`);

function expectProblem(res: request.Response, status: number, named: string[]) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, request_id: res.headers['x-request-id'], instance: expect.stringMatching(/^\/api\/v1\/campaigns/) });
  expect(typeof res.body.type).toBe('string');
  expect(typeof res.body.detail).toBe('string');
  for (const f of named) expect(fields(res)).toContain(f);
}

test('create: each bad field is named; 415 for other media types, 413 over the limit, 400 for malformed JSON; nothing written', async () => {
  const post = () => request(a.app).post('/api/v1/campaigns').set(auth);
  expectProblem(await post().send({ name: '', channel: 'tv', budget: -1, start_date: '2026-02-30', extra: 1 }), 400, [
    'body.name',
    'body.channel',
    'body.budget',
    'body.start_date',
    'body.end_date',
    'body.extra',
  ]);
  expectProblem(await post().send(campaignBody({ start_date: '2026-04-01', end_date: '2026-03-01' })), 400, ['body.end_date']);
  expectProblem(await post().send(campaignBody({ currency: 'usd', clicks: 1.5 })), 400, ['body.currency', 'body.clicks']);
  expectProblem(await post().send(campaignBody({ id: 'has space' })), 400, ['body.id']);
  expectProblem(await post(), 400, ['body.body']);
  expectProblem(await post().set('Content-Type', 'application/json').send('{"name": '), 400, ['body.body']);
  expectProblem(await post().set('Content-Type', 'text/plain').send(JSON.stringify(campaignBody())), 415, ['headers.Content-Type']);
  expectProblem(await post().field('name', 'x'), 415, ['headers.Content-Type']);
  // Parsed by the content-type package, as Express parses it: case and parameters do not matter.
  expect((await post().set('Content-Type', 'Application/JSON; charset="utf-8"').send(JSON.stringify(campaignBody({ id: 'c-media' })))).status).toBe(201);
  expectProblem(await post().set('Content-Type', 'application/json-patch; charset=utf-8').send(JSON.stringify(campaignBody())), 415, ['headers.Content-Type']);
  expectProblem(await post().send(campaignBody({ name: 'x'.repeat(150), pad: 'y'.repeat(3000) })), 413, ['body.body']);
  expect(await a.context.store.count()).toBe(1); // only the one well-formed create
});

test('list: query parameters are validated and named', async () => {
  const list = (q: string) => request(a.app).get(`/api/v1/campaigns?${q}`).set(auth);
  expectProblem(await list('limit=0'), 400, ['query.limit']);
  expectProblem(await list('limit=101'), 400, ['query.limit']);
  expectProblem(await list('limit=ten&channel=tv&status=done'), 400, ['query.limit', 'query.channel', 'query.status']);
  expectProblem(await list('sort=budgets'), 400, ['query.sort']);
  expectProblem(await list('from=2026-13-01'), 400, ['query.from']);
  expectProblem(await list('from=2026-05-01&to=2026-04-01'), 400, ['query.to']);
  expectProblem(await list('cursor=garbage'), 400, ['query.cursor']);
  expectProblem(await list('channel=search&channel=social'), 400, ['query.channel']);
  expectProblem(await list('colour=red'), 400, ['query.colour']);
  expect((await list('limit=100&sort=-budget&channel=search&from=2026-01-01&to=2026-12-31')).status).toBe(200);
  expectProblem(await request(a.app).get('/api/v1/campaigns/suggested-questions?x=1').set(auth), 400, ['query.x']);
});

test('get, patch and delete validate the id; patch validates its body and writes nothing when rejected', async () => {
  const created = await request(a.app).post('/api/v1/campaigns').set(auth).send(campaignBody({ id: 'c-1' }));
  expect(created.status).toBe(201);
  const bad = encodeURIComponent('bad id!');
  expectProblem(await request(a.app).get(`/api/v1/campaigns/${bad}`).set(auth), 400, ['params.id']);
  expectProblem(await request(a.app).delete(`/api/v1/campaigns/${'x'.repeat(65)}`).set(auth), 400, ['params.id']);
  expectProblem(await request(a.app).patch(`/api/v1/campaigns/${bad}`).set(auth).send({ name: 'x' }), 400, ['params.id']);
  const patch = (body: object) => request(a.app).patch('/api/v1/campaigns/c-1').set(auth).send(body);
  expectProblem(await patch({}), 400, ['body.body']);
  expectProblem(await patch({ spend: 'lots', id: 'c-2', created_at: 'x' }), 400, ['body.spend', 'body.id', 'body.created_at']);
  // Valid alone, but before the stored start_date.
  expectProblem(await patch({ end_date: '2026-01-01' }), 400, ['body.end_date']);
  const stored = await a.context.store.get('c-1');
  expect(stored).toMatchObject({ end_date: '2026-03-31', spend: 250, name: 'Spring Search' });
  expect(stored!.updated_at).toBe(stored!.created_at);
});

test('unknown paths get a JSON 404; 404 for a missing campaign is problem+json too', async () => {
  const res = await request(a.app).get('/api/v1/nothing-here').set(auth);
  expect(res.status).toBe(404);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 404, type: 'urn:pca-agent:problem:not_found' });
  const missing = await request(a.app).get('/api/v1/campaigns/nope').set(auth);
  expect(missing.status).toBe(404);
  expect(missing.body).toMatchObject({ type: 'urn:pca-agent:problem:campaign_not_found', instance: '/api/v1/campaigns/nope' });
});

test('list: a query string seen before answers the same, a bad one is refused every time, and handlers share no mutable input', async () => {
  const list = (q: string) => request(a.app).get(`/api/v1/campaigns?${q}`).set(auth);
  await request(a.app).post('/api/v1/campaigns').set(auth).send(campaignBody({ id: 'c-repeat' })).expect(201);
  const first = await list('limit=5&sort=-name');
  for (let i = 0; i < 3; i++) {
    const again = await list('limit=5&sort=-name');
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
  }
  for (let i = 0; i < 2; i++) expectProblem(await list('limit=0&sort=-name'), 400, ['query.limit']);
  // the same parameters in another order are another string: validated on their own
  expect((await list('sort=-name&limit=5')).body).toEqual(first.body);
});
