/**
 * How V8 sizes the JavaScript heap of a serving process (VIGIL_HEAP): `small` (the default) runs
 * V8 with --optimize-for-size, `fast` with V8's defaults.
 *
 * Why: with V8's defaults the heap grows far ahead of what is live and is not given back while the
 * process stays busy. On a store of 1,000,000 incidents the catch-up of the scheduled jobs at start
 * left `vigil serve` with 142 MiB of heap used and 166 MiB reserved, of which 64 MiB was live
 * after a full collection; with --optimize-for-size the same start stayed at 70-85 MiB reserved
 * and the process at about 235 MiB instead of 334 MiB (docs/performance.md, "Memory with a large
 * store"). The flag is read by the collector as it runs, so setting it at start, before the
 * service allocates, is enough; it is process-wide.
 */
import { setFlagsFromString } from 'node:v8';

export type HeapMode = 'small' | 'fast';

/** The heap mode VIGIL_HEAP asks for (default `small`); throws on anything else. */
export function heapMode(env: Record<string, string | undefined>): HeapMode {
  const raw = env.VIGIL_HEAP;
  if (raw === undefined || raw === '' || raw === 'small') return 'small';
  if (raw === 'fast') return 'fast';
  throw new Error(`VIGIL_HEAP: expected small or fast, got ${JSON.stringify(raw)}`);
}

let applied: HeapMode | undefined;

/** Applies the heap mode to this process (once; a later call with another mode is refused). */
export function applyHeapMode(env: Record<string, string | undefined>): HeapMode {
  const mode = heapMode(env);
  if (applied !== undefined) {
    if (applied !== mode) throw new Error(`VIGIL_HEAP: this process already runs with the ${applied} heap`);
    return mode;
  }
  if (mode === 'small') setFlagsFromString('--optimize-for-size');
  applied = mode;
  return mode;
}
