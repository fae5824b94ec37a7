/** A figure's rounds reduced to what the table shows. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

function sorted(values: readonly number[]): number[] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) throw new RangeError('no finite values to summarize');
  return [...finite].sort((a, b) => a - b);
}

/** Linear interpolation between closest ranks (p in [0, 100]); the same definition numpy uses by default. */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0..100`);
  const xs = sorted(values);
  const rank = (p / 100) * (xs.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (rank - lo);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Median, min and max of the finite values; throws when there are none. */
export function summarize(values: readonly number[]): Summary {
  const xs = sorted(values);
  return { median: percentile(xs, 50), min: xs[0]!, max: xs[xs.length - 1]!, n: xs.length };
}

/** a / b per round: pairs rounds that ran back to back, so drift on a shared machine cancels out. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new RangeError(`paired ratios need equal rounds (${a.length} vs ${b.length})`);
  return a.map((x, i) => x / b[i]!).filter((r) => Number.isFinite(r));
}

export interface Verdict {
  /** What is required, e.g. `>= 0.70`. */
  readonly target: string;
  readonly met: boolean;
  /** One line for the table: `met (0.82 >= 0.70)` or `MISSED (0.55 < 0.70)`. */
  readonly text: string;
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));

/** Verdict for a value that must be at least `min` (a throughput ratio). */
export function atLeast(value: number, min: number, unit = '×'): Verdict {
  const met = value >= min;
  return { target: `>= ${fmt(min)}${unit}`, met, text: `${met ? 'met' : 'MISSED'} (${fmt(value)}${unit} ${met ? '>=' : '<'} ${fmt(min)}${unit})` };
}

/** Verdict for a value that must be at most `max` (a latency ratio, a memory ceiling). */
export function atMost(value: number, max: number, unit = '×'): Verdict {
  const met = value <= max;
  return { target: `<= ${fmt(max)}${unit}`, met, text: `${met ? 'met' : 'MISSED'} (${fmt(value)}${unit} ${met ? '<=' : '>'} ${fmt(max)}${unit})` };
}
