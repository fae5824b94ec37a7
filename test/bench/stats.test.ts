import { formatLines, formatTable, Figures } from '../../bench/figures';
import { parseBenchArgs, BenchUsageError } from '../../bench/options';
import { atLeast, atMost, median, pairedRatios, percentile, summarize } from '../../bench/stats';

describe('percentile', () => {
  it('interpolates between closest ranks', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(10);
    expect(percentile(xs, 50)).toBe(5.5);
    expect(percentile(xs, 90)).toBeCloseTo(9.1, 10);
    expect(percentile(xs, 99)).toBeCloseTo(9.91, 10);
  });

  it('does not depend on input order and leaves the input alone', () => {
    const xs = [9, 1, 5, 3, 7];
    expect(percentile(xs, 25)).toBe(3);
    expect(xs).toEqual([9, 1, 5, 3, 7]);
  });

  it('ignores NaN and infinities, and refuses empty input or a bad p', () => {
    expect(percentile([Number.NaN, 4, Number.POSITIVE_INFINITY, 2], 50)).toBe(3);
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([Number.NaN], 50)).toThrow(RangeError);
    expect(() => percentile([1, 2], 101)).toThrow('outside 0..100');
    expect(() => percentile([1, 2], -1)).toThrow(RangeError);
  });
});

describe('median and summarize', () => {
  it('takes the middle value of an odd count and the mean of the middle two of an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('summarizes rounds as median, min, max and count', () => {
    expect(summarize([1200, 900, 1500])).toEqual({ median: 1200, min: 900, max: 1500, n: 3 });
    expect(summarize([5, Number.NaN, 1])).toEqual({ median: 3, min: 1, max: 5, n: 2 });
  });
});

describe('pairedRatios', () => {
  it('divides round by round', () => {
    expect(pairedRatios([700, 900], [1000, 1000])).toEqual([0.7, 0.9]);
  });

  it('drops rounds whose baseline was zero and refuses unequal round counts', () => {
    expect(pairedRatios([5, 6], [0, 3])).toEqual([2]);
    expect(() => pairedRatios([1, 2], [1])).toThrow('equal rounds');
  });
});

describe('verdicts', () => {
  it('atLeast meets at and above the bound and says MISSED with the ratio below it', () => {
    expect(atLeast(0.7, 0.7).met).toBe(true);
    expect(atLeast(0.82, 0.7)).toEqual({ target: '>= 0.70×', met: true, text: 'met (0.82× >= 0.70×)' });
    expect(atLeast(0.55, 0.7)).toEqual({ target: '>= 0.70×', met: false, text: 'MISSED (0.55× < 0.70×)' });
  });

  it('atMost meets at and below the bound, with a unit for absolute ceilings', () => {
    expect(atMost(2, 2).met).toBe(true);
    expect(atMost(2.4, 2).text).toBe('MISSED (2.40× > 2.00×)');
    expect(atMost(180, 256, ' MB')).toEqual({ target: '<= 256 MB', met: true, text: 'met (180 MB <= 256 MB)' });
    expect(atMost(300.4, 256, ' MB').text).toBe('MISSED (300 MB > 256 MB)');
  });
});

describe('Figures output', () => {
  it('prints one `name value unit` line per figure with the median, and a table row with the verdict', () => {
    const figures = new Figures();
    figures.add('gateway_vs_bare_c50_rps_ratio', '×', [0.5, 0.6, 0.55], { verdictOf: (m) => atLeast(m, 0.7) });
    figures.add('worker_pca_jobs_per_s', 'jobs/s', [2000, 2500.5, 2200], { note: '20000 jobs' });
    expect(formatLines(figures.list)).toBe('gateway_vs_bare_c50_rps_ratio 0.55 ×\nworker_pca_jobs_per_s 2200 jobs/s');
    const table = formatTable(figures.list).split('\n');
    expect(table).toHaveLength(4);
    expect(table[2]).toContain('MISSED (0.55× < 0.70×)');
    expect(table[3]).toMatch(/\| +2,200 \| +2,000 \| +2,501 \| jobs\/s/);
    expect(table[3]).toContain('20000 jobs');
  });
});

describe('parseBenchArgs', () => {
  it('defaults to every section at full size and shrinks sizes with --quick', () => {
    const full = parseBenchArgs([]);
    expect(full.worker.jobs).toBe(20_000);
    expect(full.upload).toEqual({ csvRows: 100_000, xlsxRows: 20_000, largeCsvRows: 1_000_000, largeRounds: 1 });
    expect([...full.only]).toEqual(['gateway', 'worker', 'upload', 'reports', 'chart']);
    const quick = parseBenchArgs(['--quick']);
    expect(quick.quick).toBe(true);
    expect(quick.worker.jobs).toBeLessThan(full.worker.jobs);
    expect(quick.rounds).toBeGreaterThanOrEqual(3);
    // the large-vs-small memory comparison keeps its factor of ten at quick size
    expect(quick.upload.largeCsvRows).toBe(10 * quick.upload.csvRows);
  });

  it('runs only the named sections and refuses unknown ones', () => {
    expect([...parseBenchArgs(['--only', 'worker,chart']).only]).toEqual(['worker', 'chart']);
    expect([...parseBenchArgs(['--only=upload']).only]).toEqual(['upload']);
    expect(() => parseBenchArgs(['--only', 'gateway,nope'])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--fast'])).toThrow(/^unknown option --fast\n/);
  });
});
