import { parseCommandLine } from '../services/src/lib/command-line';

export interface BenchOptions {
  readonly quick: boolean;
  /** Rounds per figure; each figure is their median. */
  readonly rounds: number;
  /** Sections to run (all by default). */
  readonly only: ReadonlySet<SectionName>;
  readonly http: { readonly connections: readonly number[]; readonly durationS: number; readonly warmupS: number };
  readonly worker: {
    readonly jobs: number;
    /** The tracing-off variant is diagnostic (no target): fewer jobs give the same steady-state rate. */
    readonly untracedJobs: number;
    readonly concurrency: number;
    readonly latencySamples: number;
  };
  readonly upload: {
    readonly csvRows: number;
    readonly xlsxRows: number;
    /** The CSV whose peak RSS is compared with csvRows' (ten times larger): an import's memory must not grow with the file. */
    readonly largeCsvRows: number;
    /** Rounds of the large CSV (one 1M-row import takes minutes on 2 cores). */
    readonly largeRounds: number;
  };
  readonly reports: { readonly campaigns: number };
}

export const SECTIONS = ['gateway', 'worker', 'upload', 'reports', 'chart'] as const;
export type SectionName = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench [-- --quick] [--only ${SECTIONS.join(',')}]`;

export class BenchUsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = this.constructor.name;
  }
}

/** Full run (about 6-7 minutes on 2 cores, 3 of them the upload section with its 1M-row CSV) or `--quick` (about 1 minute, smaller sizes). */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let values: { quick?: boolean; only?: string; help?: boolean };
  try {
    ({ values } = parseCommandLine({ args: [...argv], options: { quick: { type: 'boolean' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    throw new BenchUsageError((err as Error).message);
  }
  if (values.help) throw new BenchUsageError('');
  const quick = values.quick ?? false;
  let only: SectionName[] = [...SECTIONS];
  if (values.only !== undefined) {
    const names = values.only.split(',').filter(Boolean);
    const bad = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
    if (names.length === 0 || bad.length) throw new BenchUsageError(`--only "${values.only}": unknown section ${bad.join(', ') || '(none given)'}`);
    only = names as SectionName[];
  }
  return {
    quick,
    rounds: 3,
    only: new Set(only),
    http: quick ? { connections: [50], durationS: 0.75, warmupS: 0.5 } : { connections: [50, 200], durationS: 2, warmupS: 0.5 },
    worker: quick
      ? { jobs: 1500, untracedJobs: 500, concurrency: 4, latencySamples: 20 }
      : { jobs: 20_000, untracedJobs: 4000, concurrency: 4, latencySamples: 500 },
    upload: quick
      ? { csvRows: 5000, xlsxRows: 1000, largeCsvRows: 50_000, largeRounds: 3 }
      : { csvRows: 100_000, xlsxRows: 20_000, largeCsvRows: 1_000_000, largeRounds: 1 },
    reports: { campaigns: quick ? 250 : 1000 },
  };
}
