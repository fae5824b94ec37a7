import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeTraceRequest } from './otlp-protobuf';

/** A span as received over OTLP/HTTP JSON, flattened for assertions. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer */
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  /** OTLP status code: 0 unset, 1 ok, 2 error */
  readonly status: { code: number; message?: string };
  readonly events: { name: string; attributes: Record<string, unknown> }[];
  readonly links: { traceId: string; spanId: string }[];
  readonly resource: Record<string, unknown>;
  readonly scope: string;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

interface AnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  bytesValue?: string;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}

function value(v: AnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  if (v.kvlistValue) return attributes(v.kvlistValue.values);
  return v.bytesValue;
}

function attributes(kvs: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of kvs ?? []) out[kv.key] = value(kv.value);
  return out;
}

/** OTLP/JSON ids are hex; accept base64 too in case an exporter sends the protobuf JSON mapping. */
function hexId(id: string | undefined): string {
  if (!id) return '';
  if (/^[0-9a-f]+$/i.test(id)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

interface ExportTraceServiceRequest {
  resourceSpans?: {
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId?: string;
        spanId?: string;
        parentSpanId?: string;
        name?: string;
        kind?: number;
        attributes?: KeyValue[];
        status?: { code?: number; message?: string };
        events?: { name?: string; attributes?: KeyValue[] }[];
        links?: { traceId?: string; spanId?: string }[];
      }[];
    }[];
  }[];
}

export function flattenTraces(body: ExportTraceServiceRequest): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hexId(s.traceId),
          spanId: hexId(s.spanId),
          parentSpanId: hexId(s.parentSpanId),
          name: s.name ?? '',
          kind: s.kind ?? 0,
          attributes: attributes(s.attributes),
          status: { code: s.status?.code ?? 0, message: s.status?.message },
          events: (s.events ?? []).map((e) => ({ name: e.name ?? '', attributes: attributes(e.attributes) })),
          links: (s.links ?? []).map((l) => ({ traceId: hexId(l.traceId), spanId: hexId(l.spanId) })),
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

export interface OtlpReceiverOptions {
  /** also decode `application/x-protobuf` on /v1/traces (default: count it as rejected) */
  readonly protobuf?: boolean;
  /** port to listen on (default: a free one) */
  readonly port?: number;
}

/**
 * A local OTLP/HTTP receiver for tests: accepts JSON on /v1/traces (and counts requests to other signal
 * paths), keeps every span, and lets a test wait for the spans it expects.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Requests per path, including /v1/metrics and /v1/logs (which the services should not send). */
  readonly requests = new Map<string, number>();
  /** Non-JSON payloads (e.g. protobuf), counted so a test can fail on them. */
  rejected = 0;
  private server?: Server;
  private waiters: (() => void)[] = [];

  constructor(private readonly opts: OtlpReceiverOptions = {}) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void readBody(req).then(
        (body) => {
          const path = (req.url ?? '/').split('?')[0] ?? '/';
          this.requests.set(path, (this.requests.get(path) ?? 0) + 1);
          const type = String(req.headers['content-type'] ?? '');
          const json = type.includes('json');
          const protobuf = this.opts.protobuf === true && type.includes('protobuf');
          if (path === '/v1/traces' && (json || protobuf)) {
            const request = json ? (JSON.parse(body.toString('utf8')) as ExportTraceServiceRequest) : decodeTraceRequest(body);
            this.spans.push(...flattenTraces(request));
            for (const w of this.waiters.splice(0)) w();
          } else if (!json && !protobuf) {
            this.rejected++;
          }
          // an empty ExportTraceServiceResponse in the encoding of the request
          if (protobuf) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
          else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        },
        () => res.writeHead(400).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port ?? 0, '127.0.0.1', resolve);
    });
    return this;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  /** Value for OTEL_EXPORTER_OTLP_ENDPOINT. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Resolves with the received spans once `done(spans)` holds; rejects with what arrived after `timeoutMs`. */
  async waitFor(done: (spans: ReceivedSpan[]) => boolean, timeoutMs = 10_000): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.spans)) {
      const left = deadline - Date.now();
      if (left <= 0) {
        const names = this.spans.map((s) => `${String(s.resource['service.name'])}:${s.name}`).join(', ');
        throw new Error(`timed out after ${timeoutMs} ms waiting for spans; received ${this.spans.length}: ${names}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.spans;
  }

  /** Spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  clear(): void {
    this.spans.length = 0;
    this.requests.clear();
    this.rejected = 0;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}

/** Starts a receiver on a free 127.0.0.1 port (or the one given). */
export function startOtlpReceiver(opts: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  return new OtlpReceiver(opts).start();
}
