/*
 * Decodes an OTLP ExportTraceServiceRequest in protobuf (what `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`
 * sends) into the OTLP/JSON shape, so the receiver keeps one code path. Field numbers are those of
 * opentelemetry-proto (trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto); ids
 * come out as lowercase hex, 64-bit integers as decimal strings, as in OTLP/JSON.
 */

type Field = { no: number; wire: number; bytes?: Buffer; varint?: bigint; fixed?: Buffer };

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p] = readVarint(buf, pos);
    pos = p;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [v, q] = readVarint(buf, pos);
      out.push({ no, wire, varint: v });
      pos = q;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      out.push({ no, wire, fixed: buf.subarray(pos, pos + n) });
      pos += n;
    } else if (wire === 2) {
      const [len, q] = readVarint(buf, pos);
      out.push({ no, wire, bytes: buf.subarray(q, q + Number(len)) });
      pos = q + Number(len);
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
  return out;
}

const all = (fs: Field[], no: number) => fs.filter((f) => f.no === no);
const one = (fs: Field[], no: number) => fs.filter((f) => f.no === no).at(-1);
const str = (f: Field | undefined) => f?.bytes?.toString('utf8');
const hex = (f: Field | undefined) => f?.bytes?.toString('hex') ?? '';
const int = (f: Field | undefined) => (f?.varint === undefined ? undefined : Number(BigInt.asIntN(64, f.varint)));

interface JsonAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values: JsonAnyValue[] };
  kvlistValue?: { values: JsonKeyValue[] };
  bytesValue?: string;
}
interface JsonKeyValue {
  key: string;
  value: JsonAnyValue;
}

function anyValue(buf: Buffer): JsonAnyValue {
  const f = fields(buf).at(-1);
  if (!f) return {};
  switch (f.no) {
    case 1:
      return { stringValue: str(f) ?? '' };
    case 2:
      return { boolValue: f.varint !== 0n };
    case 3:
      return { intValue: BigInt.asIntN(64, f.varint ?? 0n).toString() };
    case 4:
      return { doubleValue: f.fixed!.readDoubleLE(0) };
    case 5:
      return { arrayValue: { values: all(fields(f.bytes!), 1).map((v) => anyValue(v.bytes!)) } };
    case 6:
      return { kvlistValue: { values: keyValues(fields(f.bytes!), 1) } };
    case 7:
      return { bytesValue: f.bytes!.toString('base64') };
    default:
      return {};
  }
}

function keyValues(fs: Field[], no: number): JsonKeyValue[] {
  return all(fs, no).map((kv) => {
    const k = fields(kv.bytes!);
    const v = one(k, 2);
    return { key: str(one(k, 1)) ?? '', value: v ? anyValue(v.bytes!) : {} };
  });
}

function span(buf: Buffer) {
  const s = fields(buf);
  const status = one(s, 15) ? fields(one(s, 15)!.bytes!) : [];
  return {
    traceId: hex(one(s, 1)),
    spanId: hex(one(s, 2)),
    parentSpanId: hex(one(s, 4)),
    name: str(one(s, 5)) ?? '',
    kind: int(one(s, 6)) ?? 0,
    startTimeUnixNano: one(s, 7)?.fixed?.readBigUInt64LE(0).toString(),
    endTimeUnixNano: one(s, 8)?.fixed?.readBigUInt64LE(0).toString(),
    attributes: keyValues(s, 9),
    events: all(s, 11).map((e) => {
      const ef = fields(e.bytes!);
      return { name: str(one(ef, 2)) ?? '', attributes: keyValues(ef, 3) };
    }),
    links: all(s, 13).map((l) => {
      const lf = fields(l.bytes!);
      return { traceId: hex(one(lf, 1)), spanId: hex(one(lf, 2)) };
    }),
    status: { code: int(one(status, 3)) ?? 0, message: str(one(status, 2)) },
  };
}

/** ExportTraceServiceRequest (protobuf bytes) → the same object OTLP/JSON would have carried. */
export function decodeTraceRequest(buf: Buffer) {
  return {
    resourceSpans: all(fields(buf), 1).map((rs) => {
      const r = fields(rs.bytes!);
      const resource = one(r, 1);
      return {
        resource: { attributes: resource ? keyValues(fields(resource.bytes!), 1) : [] },
        scopeSpans: all(r, 2).map((ss) => {
          const sf = fields(ss.bytes!);
          const scope = one(sf, 1);
          return {
            scope: { name: scope ? (str(one(fields(scope.bytes!), 1)) ?? '') : '' },
            spans: all(sf, 2).map((sp) => span(sp.bytes!)),
          };
        }),
      };
    }),
  };
}
