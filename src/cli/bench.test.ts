import { describe, expect, it } from 'vitest';
import { InvalidError } from '../domain/errors.js';
import { BENCHMARK_NAMES, selectBenchmarks } from './bench.js';

describe('vigil bench --only', () => {
  it('runs every benchmark without --only, and only the named ones with it', () => {
    expect([...selectBenchmarks(undefined)]).toEqual([...BENCHMARK_NAMES]);
    expect([...selectBenchmarks('overload')]).toEqual(['overload']);
    expect([...selectBenchmarks(' ingest, overload ')]).toEqual(['ingest', 'overload']);
  });

  it('names every unknown benchmark and what it expected', () => {
    let err: unknown;
    try {
      selectBenchmarks('overload,latency,disk');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).problems).toEqual([{ path: '--only', message: 'unknown benchmarks "latency", "disk"; expected a comma-separated list of ingest, alert-latency, alert-statements, overload, weekly-report, serve-memory, stored-memory' }]);
    expect(() => selectBenchmarks(',')).toThrow(InvalidError);
  });
});
