// The report's arithmetic: nearest-rank percentiles, rounding for people, and when a backlog counts as flat.
import { describe, expect, it } from 'vitest';
import { judgeBacklog } from '../../bench/backlog.js';
import { percentile, rounded } from '../../bench/statistics.js';

describe('percentile', () => {
  // 1..100 shuffled: the nearest-rank pth percentile of 1..100 is p itself, and the input order must not matter.
  const hundred = Array.from({ length: 100 }, (_, index) => ((index * 37) % 100) + 1);

  it('is the nearest-rank sample of unsorted samples', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    // Rank ceil(0.5 * 10) = 5: a real sample, never an interpolation between two.
    expect(percentile([10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 50)).toBe(5);
    // Rank ceil(0.99 * 10) = 10: with few samples p99 is the slowest one.
    expect(percentile([10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 99)).toBe(10);
    expect(percentile([3, 1, 2], 0)).toBe(1);
  });

  it('is the only sample when there is one', () => {
    expect(percentile([42], 50)).toBe(42);
    expect(percentile([42], 99)).toBe(42);
  });

  it('leaves the samples as they were', () => {
    const samples = [3, 1, 2];
    percentile(samples, 50);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('is undefined without samples, so the report shows none instead of a made-up 0', () => {
    expect(percentile([], 50)).toBeUndefined();
  });

  it('refuses a p outside 0–100', () => {
    expect(() => percentile([1, 2], 101)).toThrow(RangeError);
    expect(() => percentile([1, 2], -1)).toThrow(RangeError);
    expect(() => percentile([1, 2], Number.NaN)).toThrow(RangeError);
  });
});

describe('rounded', () => {
  it('rounds to two digits by default, or to the digits asked for', () => {
    expect(rounded(1.23456)).toBe(1.23);
    expect(rounded(1.25678, 1)).toBe(1.3);
    expect(rounded(1234.5, 0)).toBe(1235);
  });

  it('turns no value, or one that is not finite, into null (JSON has no undefined or Infinity)', () => {
    expect(rounded(undefined)).toBeNull();
    expect(rounded(Number.POSITIVE_INFINITY)).toBeNull();
    expect(rounded(Number.NaN)).toBeNull();
  });
});

describe('judgeBacklog', () => {
  const idle = { outstanding: 4, queued: 10 };

  it('calls a backlog flat that grew by at most one round of the clients, and rising one more', () => {
    // Few completions: the allowance is the concurrency, 4.
    expect(judgeBacklog(idle, { outstanding: 4, queued: 14 }, { concurrency: 4, completions: 10 })).toEqual({ flat: true, growth: 4, allowed: 4 });
    expect(judgeBacklog(idle, { outstanding: 5, queued: 14 }, { concurrency: 4, completions: 10 })).toEqual({ flat: false, growth: 5, allowed: 4 });
  });

  it('allows a twentieth of the completions when that is more than the clients', () => {
    // ceil(1001 / 20) = 51.
    expect(judgeBacklog(idle, { outstanding: 4, queued: 61 }, { concurrency: 4, completions: 1001 })).toMatchObject({ flat: true, allowed: 51 });
    expect(judgeBacklog(idle, { outstanding: 4, queued: 62 }, { concurrency: 4, completions: 1001 })).toMatchObject({ flat: false, allowed: 51 });
  });

  it('counts outstanding operations and queued messages together, and a shrinking backlog as flat', () => {
    // Work moving from the loop into a queue is not growth.
    expect(judgeBacklog({ outstanding: 10, queued: 0 }, { outstanding: 0, queued: 10 }, { concurrency: 1, completions: 0 })).toMatchObject({ flat: true, growth: 0 });
    expect(judgeBacklog({ outstanding: 10, queued: 50 }, { outstanding: 1, queued: 0 }, { concurrency: 1, completions: 0 })).toMatchObject({ flat: true, growth: -59 });
  });
});
