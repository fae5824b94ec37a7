import { summarize, type Summary, type Verdict } from './stats';

export interface Figure {
  /** snake_case, printed as `name value unit`. */
  readonly name: string;
  readonly unit: string;
  /** One value per round. */
  readonly values: readonly number[];
  readonly summary: Summary;
  readonly verdict?: Verdict;
  /** What was measured, when the name alone does not say (sizes, counts, anomalies). */
  readonly note?: string;
}

export interface SectionError {
  readonly section: string;
  readonly message: string;
}

/** Every figure of one run, in the order measured, plus the sections that could not run. */
export class Figures {
  readonly list: Figure[] = [];
  readonly errors: SectionError[] = [];

  /** Adds a figure; `verdictOf` gets the median. Returns the summary. */
  add(
    name: string,
    unit: string,
    values: readonly number[],
    opts: { verdictOf?: (median: number) => Verdict; note?: string } = {},
  ): Summary {
    const summary = summarize(values);
    this.list.push({ name, unit, values: [...values], summary, verdict: opts.verdictOf?.(summary.median), note: opts.note });
    return summary;
  }

  get(name: string): Figure | undefined {
    return this.list.find((f) => f.name === name);
  }

  fail(section: string, err: unknown): void {
    this.errors.push({ section, message: err instanceof Error ? err.message : String(err) });
  }
}

const num = (v: number) => {
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
};

/** Plain-text table (also valid Markdown) of every figure. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.name,
    num(f.summary.median),
    num(f.summary.min),
    num(f.summary.max),
    f.unit,
    f.verdict?.text ?? '',
    f.note ?? '',
  ]);
  const head = ['figure', 'median', 'min', 'max', 'unit', 'target', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= 1 && i <= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i >= 1 && i <= 3 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`, ...rows.map(line)].join('\n');
}

/** One `name value unit` line per figure (the median), for scripts. */
export function formatLines(figures: readonly Figure[]): string {
  return figures.map((f) => `${f.name} ${Number(f.summary.median.toPrecision(6))} ${f.unit}`).join('\n');
}
