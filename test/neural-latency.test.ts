/**
 * The latency schedule: how many passes are timed and warmed up, fed with made-up durations (no
 * clock), and latencyStats on a small graph counting its own passes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ValueError } from '../src/index.ts';
import * as neural from '../src/neural/index.ts';
import { RunSchedule } from '../src/neural/latency.ts';

beforeAll(async () => {
  await neural.initRuntime();
});

/** Feeds `durations` (cycling the last) until the schedule is done; returns it. */
function drive(s: RunSchedule, durations: (k: number) => number): RunSchedule {
  for (let k = 0; !s.done; k++) {
    if (k > 10_000) throw new Error('the schedule never ends');
    s.record(durations(k));
  }
  return s;
}

describe('RunSchedule', () => {
  it('times `runs` passes however long each takes: a 20 s pass under a 60 s cap still gets 20', () => {
    const s = drive(new RunSchedule({ runs: 20, maxRuns: 50, maxMs: 60_000 }), () => 20_000);
    expect(s.times.length).toBe(20);
    // A pass of 20 s is past the warm-up's 10 s at once: one warm-up pass.
    expect(s.warm.length).toBe(1);
  });

  it('the time cap stops only the runs beyond `runs`', () => {
    // 1 s passes, cap 30 s: 30 timed passes (the 30th reaches 30 s), between runs = 20 and maxRuns = 50.
    const s = drive(new RunSchedule({ runs: 20, maxRuns: 50, maxMs: 30_000, warmup: 2 }), () => 1000);
    expect(s.warm.length).toBe(2);
    expect(s.times.length).toBe(30);
    // Fast passes run to maxRuns.
    expect(drive(new RunSchedule({ runs: 20, maxRuns: 50, maxMs: 30_000, warmup: 0 }), () => 1).times.length).toBe(50);
  });

  it('the adaptive warm-up waits for three settled passes, then times the median of the rest', () => {
    // A slow start (100, 60, 30, 15 ms) that settles at 10 ms: warm-up ends after three tens.
    const start = [100, 60, 30, 15, 10, 10, 10];
    const s = drive(new RunSchedule({ runs: 5, maxRuns: 5, maxMs: Infinity }), (k) => start[k] ?? 3 + (k % 3));
    expect(s.warm).toEqual(start);
    expect(s.times.length).toBe(5);
    // Timed passes 3 + k % 3 for k = 7..11: 4, 5, 3, 4, 5 → median 4.
    expect(s.stats().median).toBe(4);
    expect(s.stats().runs).toBe(5);
    expect(s.stats().warmup).toBe(7);
  });

  it('a warm-up that never settles stops at 50 passes', () => {
    const s = drive(new RunSchedule({ runs: 3, maxRuns: 3, maxMs: Infinity }), (k) => (k % 2 ? 1 : 3));
    expect(s.warm.length).toBe(50);
    expect(s.times.length).toBe(3);
  });
});

describe('latencyStats', () => {
  it('counts the passes it times and refuses a maxRuns below runs', () => {
    const g = neural.loadTinyFaceDetector({ inputSize: 40 });
    const s = neural.latencyStats(g, [1, 40, 40, 3], { runs: 4, warmup: 1 });
    expect(s.runs).toBe(4);
    expect(s.times.length).toBe(4);
    expect(s.warmup).toBe(1);
    expect(s.median).toBe(s.times[2]);
    expect(s.times.every((t, i) => t > 0 && (i === 0 || t >= s.times[i - 1]))).toBe(true);
    expect(() => neural.latencyStats(g, [1, 40, 40, 3], { runs: 4, maxRuns: 2 })).toThrow(ValueError);
    expect(() => neural.latencyStats(g, [1, 40, 40, 3], { runs: 4, maxRuns: 2 })).toThrow(/^latencyStats: maxRuns \(2\) must be ≥ runs \(4\)$/);
    expect(() => neural.measureLatency(g, [1, 40, 40, 3], { runs: 0 })).toThrow(/^measureLatency: runs must be a whole number ≥ 1, got 0$/);
  });

  it('reports every pass to onProgress, which can stop it: the stats then cover the passes timed and say so', () => {
    const g = neural.loadTinyFaceDetector({ inputSize: 40 });
    const seen: { warmup: number; timed: number; lastMs: number }[] = [];
    const full = neural.latencyStats(g, [1, 40, 40, 3], { runs: 5, warmup: 2, onProgress: (i) => { seen.push(i); } });
    expect(full.status).toBe('complete');
    // One report per pass: 2 warm-up, then 5 timed, counted in order.
    expect(seen.map((i) => [i.warmup, i.timed])).toEqual([[1, 0], [2, 0], [2, 1], [2, 2], [2, 3], [2, 4], [2, 5]]);
    expect(seen.every((i) => i.lastMs > 0)).toBe(true);
    // The timed passes reported are the ones the stats hold.
    expect(seen.slice(2).map((i) => i.lastMs).sort((a, b) => a - b)).toEqual(full.times);
    const cut = neural.latencyStats(g, [1, 40, 40, 3], { runs: 20, warmup: 1, onProgress: (i) => i.timed < 3 });
    expect(cut.status).toBe('stopped by callback');
    expect(cut.runs).toBe(3);
    expect(cut.median).toBe(cut.times[1]);
    expect(() => neural.measureLatency(g, [1, 40, 40, 3], { warmup: 3, onProgress: () => false }))
      .toThrow(/^measureLatency: onProgress stopped the measurement during the warm-up \(1 passes\), before any timed pass$/);
    expect(() => neural.measureLatency(g, [1, 40, 40, 3], { onProgress: 'x' as never })).toThrow(/^measureLatency: onProgress must be a function/);
  });
});
