/** One sample line of the Prometheus text exposition format (0.0.4). */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export class PrometheusParseError extends Error {
  constructor(lineNo: number, line: string, why: string) {
    super(`line ${lineNo}: ${why}: ${JSON.stringify(line.slice(0, 200))}`);
    this.name = this.constructor.name;
  }
}

// Prometheus reads values with Go's ParseFloat: NaN and Inf in any letter case (prom-client writes "Nan").
function parseValue(s: string): number {
  const lower = s.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`bad value ${s}`);
  return Number(s);
}

/** Parses `{a="x",b="y\"z"}` starting at `i` (pointing at `{`); returns labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq < 0) throw new Error('label without =');
    const name = line.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`bad label name ${name}`);
    if (name in labels) throw new Error(`duplicate label ${name}`);
    i = eq + 1;
    if (line[i] !== '"') throw new Error('label value not quoted');
    i++;
    let value = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) throw new Error('unterminated label value');
      if (c === '\\') {
        const n = line[i + 1];
        if (n === 'n') value += '\n';
        else if (n === '\\' || n === '"') value += n;
        else throw new Error(`bad escape \\${n}`);
        i += 2;
      } else if (c === '"') {
        i++;
        break;
      } else {
        value += c;
        i++;
      }
    }
    labels[name] = value;
    while (line[i] === ' ') i++;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new Error('expected , or }');
  }
}

function familyOf(sampleName: string, families: Map<string, MetricFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count', '_created']) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      const fam = families.get(base);
      if (fam && (fam.type === 'histogram' || fam.type === 'summary')) return base;
    }
  }
  return sampleName;
}

/**
 * Strict parser for the text format: every line must be a comment, HELP, TYPE or a well-formed sample,
 * TYPE may appear once per family and before its samples. Throws `PrometheusParseError` otherwise.
 */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const lines = text.split('\n');
  lines.forEach((line, idx) => {
    const lineNo = idx + 1;
    if (line.trim() === '') return;
    try {
      if (line.startsWith('#')) {
        const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
        if (!m) return; // a plain comment
        const [, kind, name, rest = ''] = m;
        if (!METRIC_NAME.test(name!)) throw new Error(`bad metric name ${name}`);
        const fam = families.get(name!) ?? { name: name!, type: 'untyped' as const, help: '', samples: [] };
        if (kind === 'TYPE') {
          if (!TYPES.has(rest)) throw new Error(`unknown type ${rest}`);
          if (fam.samples.length > 0) throw new Error('TYPE after samples');
          fam.type = rest as MetricFamily['type'];
        } else {
          fam.help = rest;
        }
        families.set(name!, fam);
        return;
      }
      const nameEnd = line.search(/[{\s]/);
      if (nameEnd <= 0) throw new Error('no value');
      const name = line.slice(0, nameEnd);
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
      let labels: Record<string, string> = {};
      let i = nameEnd;
      if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i));
      const parts = line.slice(i).trim().split(/\s+/);
      if (parts.length < 1 || parts.length > 2 || parts[0] === '') throw new Error('expected value [timestamp]');
      const value = parseValue(parts[0]!);
      if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error('bad timestamp');
      const famName = familyOf(name, families);
      const fam = families.get(famName) ?? { name: famName, type: 'untyped' as const, help: '', samples: [] };
      fam.samples.push({ name, labels, value });
      families.set(famName, fam);
    } catch (err) {
      throw new PrometheusParseError(lineNo, line, (err as Error).message);
    }
  });
  return families;
}

/** Distinct values of one label across a family's samples (`le`/`quantile` included if asked). */
export function labelValues(fam: MetricFamily, label: string): Set<string> {
  return new Set(fam.samples.map((s) => s.labels[label]).filter((v): v is string => v !== undefined));
}

/**
 * Naming and shape conventions: counters end in `_total`; histograms have `_bucket` series with `le`
 * ending at `+Inf`, plus `_sum` and `_count`; durations are in seconds; sizes in bytes. Returns problems.
 */
export function conventionProblems(families: Map<string, MetricFamily>): string[] {
  const problems: string[] = [];
  for (const fam of families.values()) {
    if (fam.type === 'counter' && !fam.name.endsWith('_total')) problems.push(`${fam.name}: counter without _total`);
    if (/duration|latency/.test(fam.name) && !/_seconds(_total)?$/.test(fam.name)) problems.push(`${fam.name}: time without _seconds unit`);
    if (/_ms$|_milliseconds/.test(fam.name)) problems.push(`${fam.name}: milliseconds instead of seconds`);
    if (!fam.help) problems.push(`${fam.name}: no HELP`);
    // A labelled histogram with no observations yet has no series at all; that is fine.
    if (fam.type === 'histogram' && fam.samples.length > 0) {
      const buckets = fam.samples.filter((s) => s.name === `${fam.name}_bucket`);
      if (!buckets.length) problems.push(`${fam.name}: histogram without buckets`);
      if (buckets.some((b) => b.labels.le === undefined)) problems.push(`${fam.name}: bucket without le`);
      const series = new Set(buckets.map((b) => JSON.stringify({ ...b.labels, le: undefined })));
      for (const key of series) {
        const les = buckets.filter((b) => JSON.stringify({ ...b.labels, le: undefined }) === key).map((b) => b.labels.le);
        if (les.at(-1) !== '+Inf') problems.push(`${fam.name}: series ${key} does not end at le="+Inf"`);
      }
      if (!fam.samples.some((s) => s.name === `${fam.name}_sum`)) problems.push(`${fam.name}: no _sum`);
      if (!fam.samples.some((s) => s.name === `${fam.name}_count`)) problems.push(`${fam.name}: no _count`);
    }
  }
  return problems;
}
