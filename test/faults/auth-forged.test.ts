import * as crypto from 'node:crypto';
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { Request, Response } from 'express';
import { authenticate } from '../../services/src/api/gateway/auth';
import { startApiProcess, type ApiHandle } from '../helpers/processes';
import { leaked, median, queueFixture, READ_KEY, roleEnv, WRITE_KEY, type QueueFixture } from './support';

jest.setTimeout(60_000);

const ISS = 'https://issuer.pca-agent.test';
const AUD = 'pca-agent-api';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const attackerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const attackerEc = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const publicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

let fx: QueueFixture;
let api: ApiHandle;

beforeAll(async () => {
  fx = queueFixture('f-auth');
  api = await startApiProcess(
    roleEnv(fx.prefix, undefined, {
      // The PEM on one line with literal \n, as the chart's Secret carries it; trace logs to catch any leak.
      JWT_PUBLIC_KEY: publicPem.replace(/\n/g, '\\n'),
      JWT_ISSUER: ISS,
      JWT_AUDIENCE: AUD,
      LOG_LEVEL: 'trace',
    }),
  );
});
afterAll(async () => {
  await api?.proc.stop();
  await fx.close();
});

const b64u = (x: string | Buffer) => Buffer.from(x).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const claims = (over: Record<string, unknown> = {}) => ({ sub: 'analyst-1', iss: ISS, aud: AUD, iat: now(), exp: now() + 300, scope: 'read write', ...over });

type Signer = (input: Buffer) => Buffer;
const rs = (alg: 'sha256' | 'sha512', key: KeyObject): Signer => (input) => sign(alg, input, key);
const hs = (secret: string | Buffer): Signer => (input) => createHmac('sha256', secret).update(input).digest();
const ps256 = (key: KeyObject): Signer => (input) => sign('sha256', input, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
const es256 = (key: KeyObject): Signer => (input) => sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
const unsigned: Signer = () => Buffer.alloc(0);

function jwt(header: Record<string, unknown>, payload: Record<string, unknown> | string, signer: Signer): string {
  const input = `${b64u(JSON.stringify(header))}.${b64u(typeof payload === 'string' ? payload : JSON.stringify(payload))}`;
  return `${input}.${b64u(signer(Buffer.from(input)))}`;
}

const good = () => jwt({ alg: 'RS256', typ: 'JWT' }, claims(), rs('sha256', rsa.privateKey));

function forged(): Record<string, string> {
  const valid = good();
  const [h, p, s] = valid.split('.') as [string, string, string];
  const attackerJwk = attackerRsa.publicKey.export({ format: 'jwk' });
  return {
    'alg none, no signature': jwt({ alg: 'none', typ: 'JWT' }, claims(), unsigned),
    'alg none with a real signature': `${b64u(JSON.stringify({ alg: 'none' }))}.${p}.${s}`,
    'alg None (case)': jwt({ alg: 'None' }, claims(), unsigned),
    'alg nOnE (case)': jwt({ alg: 'nOnE' }, claims(), unsigned),
    'HS256 keyed with the RS public key PEM': jwt({ alg: 'HS256', typ: 'JWT' }, claims(), hs(publicPem)),
    'HS256 keyed with the PEM as the env carries it': jwt({ alg: 'HS256' }, claims(), hs(publicPem.replace(/\n/g, '\\n'))),
    'HS256 keyed with the public key DER': jwt({ alg: 'HS256' }, claims(), hs(rsa.publicKey.export({ type: 'spki', format: 'der' }))),
    'RS256 by another key': jwt({ alg: 'RS256' }, claims(), rs('sha256', attackerRsa.privateKey)),
    'RS512 by the right key (algorithm not allowed)': jwt({ alg: 'RS512' }, claims(), rs('sha512', rsa.privateKey)),
    'PS256 by the right key (algorithm not allowed)': jwt({ alg: 'PS256' }, claims(), ps256(rsa.privateKey)),
    'ES256 by an attacker key': jwt({ alg: 'ES256' }, claims(), es256(attackerEc.privateKey)),
    'embedded jwk of the attacker': jwt({ alg: 'RS256', jwk: attackerJwk }, claims(), rs('sha256', attackerRsa.privateKey)),
    'jku pointing at the attacker': jwt({ alg: 'RS256', jku: 'http://127.0.0.1:1/jwks.json', kid: 'a' }, claims(), rs('sha256', attackerRsa.privateKey)),
    'wrong issuer': jwt({ alg: 'RS256' }, claims({ iss: 'https://evil.test' }), rs('sha256', rsa.privateKey)),
    'wrong audience': jwt({ alg: 'RS256' }, claims({ aud: 'another-api' }), rs('sha256', rsa.privateKey)),
    'no audience': jwt({ alg: 'RS256' }, claims({ aud: undefined }), rs('sha256', rsa.privateKey)),
    expired: jwt({ alg: 'RS256' }, claims({ iat: now() - 7200, exp: now() - 3600 }), rs('sha256', rsa.privateKey)),
    'not yet valid (nbf in the future)': jwt({ alg: 'RS256' }, claims({ nbf: now() + 3600 }), rs('sha256', rsa.privateKey)),
    'exp as a string': jwt({ alg: 'RS256' }, claims({ exp: String(now() + 300) }), rs('sha256', rsa.privateKey)),
    'tampered payload (scope and subject)': `${h}.${b64u(JSON.stringify(claims({ sub: 'admin', scope: 'read write admin' })))}.${s}`,
    'tampered header (kid)': `${b64u(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'other' }))}.${p}.${s}`,
    'truncated signature': `${h}.${p}.${s.slice(0, -12)}`,
    'signature of another token': `${h}.${p}.${good().split('.')[2]!.split('').reverse().join('')}`,
    'oversize header': jwt({ alg: 'RS256', x5c: ['A'.repeat(8000)] }, claims(), rs('sha256', attackerRsa.privateKey)),
    'unknown critical header': jwt({ alg: 'RS256', crit: ['x-pca'], 'x-pca': 1 }, claims(), rs('sha256', rsa.privateKey)),
    'payload not JSON': jwt({ alg: 'RS256' }, 'not json', rs('sha256', rsa.privateKey)),
    'garbage segments': 'a.b.c',
  };
}

async function get(headers: Record<string, string>): Promise<{ status: number; wwwAuthenticate: string | null; type: string }> {
  const res = await fetch(`${api.url}/api/v1/campaigns?limit=1`, { headers });
  await res.arrayBuffer();
  return { status: res.status, wwwAuthenticate: res.headers.get('www-authenticate'), type: res.headers.get('content-type') ?? '' };
}

const sentCredentials: string[] = [WRITE_KEY, READ_KEY];

test('a correctly signed RS256 token and the API keys are accepted (the control)', async () => {
  const token = good();
  sentCredentials.push(token);
  expect((await get({ authorization: `Bearer ${token}` })).status).toBe(200);
  expect((await get({ 'x-api-key': WRITE_KEY })).status).toBe(200);
  expect((await get({ authorization: `Bearer ${READ_KEY}` })).status).toBe(200);
});

test('forged tokens are all refused with 401 and WWW-Authenticate', async () => {
  const tokens = forged();
  expect(Object.keys(tokens).length).toBeGreaterThanOrEqual(20);
  const results: Record<string, number> = {};
  for (const [name, token] of Object.entries(tokens)) {
    sentCredentials.push(token);
    const r = await get({ authorization: `Bearer ${token}` });
    results[name] = r.status;
    expect({ name, status: r.status, type: r.type.split(';')[0] }).toEqual({ name, status: 401, type: 'application/problem+json' });
    expect(r.wwwAuthenticate).toMatch(/^Bearer realm="pca-agent"/);
  }
  // Near-miss API keys, in both headers.
  for (const key of [WRITE_KEY.slice(0, -1) + 'X', 'X' + WRITE_KEY.slice(1), WRITE_KEY + 'x', WRITE_KEY.toUpperCase()]) {
    sentCredentials.push(key);
    expect((await get({ 'x-api-key': key })).status).toBe(401);
    expect((await get({ authorization: `Bearer ${key}` })).status).toBe(401);
  }
  console.log(`auth: ${Object.keys(tokens).length} forged tokens, all 401`);
});

test('no credential (keys, tokens, token signatures) appears in the captured logs', async () => {
  await api.proc.logsWritten();
  expect(api.proc.logLines().length).toBeGreaterThan(10); // the logs were captured (trace level)
  const logs = api.proc.stdout + api.proc.stderr;
  const signatures = sentCredentials.filter((c) => c.split('.').length === 3).map((t) => t.split('.')[2]!);
  expect(leaked(logs, [...sentCredentials, ...signatures, publicPem.split('\n')[1]!])).toEqual([]);
});

describe('API key comparison has no timing shortcut', () => {
  const KEY = 'k'.repeat(16) + 'abcdef0123456789';
  const middleware = authenticate({ apiKeys: [KEY, 'second-key-0000000000000000000000'], readOnlyApiKeys: ['ro-key-11111111111111111111111111'], isPublic: () => false });

  function call(key: string): Promise<number> {
    return new Promise((resolve) => {
      const res = {
        locals: {} as Record<string, unknown>,
        headersSent: false,
        statusCode: 0,
        setHeader: () => res,
        status: (s: number) => ((res.statusCode = s), res),
        type: () => res,
        send: () => resolve(res.statusCode),
        end: () => resolve(res.statusCode),
      };
      const req = { path: '/api/v1/campaigns', originalUrl: '/api/v1/campaigns', method: 'GET', get: (h: string) => (h.toLowerCase() === 'x-api-key' ? key : undefined) };
      middleware(req as unknown as Request, res as unknown as Response, () => resolve(200));
    });
  }

  test('every configured key is compared with timingSafeEqual over equal-length digests, whatever is presented', async () => {
    // The module object itself (an `import * as` namespace would be a copy the code under test never calls).
    const spy = jest.spyOn(require('node:crypto') as typeof crypto, 'timingSafeEqual');
    try {
      for (const presented of ['x', KEY.slice(0, -1), 'X' + KEY.slice(1), KEY.slice(0, -1) + 'X', KEY + 'x', 'y'.repeat(5000), KEY]) {
        spy.mockClear();
        await call(presented);
        expect(spy).toHaveBeenCalledTimes(3); // no early exit, not even on a match
        for (const [a, b] of spy.mock.calls) {
          expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
        }
      }
      expect(await call(KEY)).toBe(200);
    } finally {
      spy.mockRestore();
    }
  });

  test('a key wrong in its first byte takes as long to refuse as one wrong in its last byte', async () => {
    const first = 'X' + KEY.slice(1);
    const last = KEY.slice(0, -1) + 'X';
    const once = async (key: string) => {
      const t0 = process.hrtime.bigint();
      await call(key);
      return Number(process.hrtime.bigint() - t0);
    };
    for (let i = 0; i < 500; i++) await Promise.all([once(first), once(last)]); // warm-up
    // Paired, alternating calls: a load spike on this shared machine hits both sides alike. The ratio is
    // taken per block of 500 pairs and the median of the blocks is asserted, so a spike that lasts a
    // whole block (another process busy on both cores) moves one block's ratio, not the verdict.
    const a: number[] = [];
    const b: number[] = [];
    const ratios: number[] = [];
    for (let block = 0; block < 8; block++) {
      const ba: number[] = [];
      const bb: number[] = [];
      for (let i = 0; i < 500; i++) {
        if (i % 2) {
          ba.push(await once(first));
          bb.push(await once(last));
        } else {
          bb.push(await once(last));
          ba.push(await once(first));
        }
      }
      ratios.push(median(ba) / median(bb));
      a.push(...ba);
      b.push(...bb);
    }
    const ratio = median(ratios);
    console.log(
      `auth timing: first-byte ${Math.round(median(a))} ns, last-byte ${Math.round(median(b))} ns, ` +
        `ratio ${ratio.toFixed(3)} (blocks ${ratios.map((r) => r.toFixed(2)).join(' ')})`,
    );
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
  });
});
