/**
 * Memory of `vigil serve` on a fresh embedded store: the command runs as its own process (the
 * bundled demo chain, a new data directory), and once it says it is running its resident size is
 * read from /proc after a few seconds idle, with the process's peak (VmHWM).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForCatchUp } from './catch-up.js';

export interface ServeMemoryResult {
  /** Resident size after `idleSeconds` of running (bytes). */
  rssBytes: number;
  /** The process's peak resident size (bytes). */
  peakBytes: number;
  idleSeconds: number;
}

/** Reads a `Vm*` line of /proc/PID/status in bytes. */
function procKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const TOKEN = 'bench-admin-token-0123456789';

/** Starts `vigil serve` on a fresh store, waits until it runs and `idleSeconds` more, and reads its memory. */
export async function benchServeMemory(idleSeconds: number, log: (s: string) => void): Promise<ServeMemoryResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-serve-'));
  const bin = fileURLToPath(new URL('../../bin/vigil.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], {
    env: { ...process.env, VIGIL_DATA_DIR: join(dir, 'data'), VIGIL_ADMIN_TOKEN: TOKEN, VIGIL_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const api = /API:\s+(http:\/\/\S+)\/api\/v1/.exec(out);
        if (out.includes('Vigil is running') && api) resolve(api[1]);
      });
      child.once('exit', (code) => reject(new Error(`vigil serve exited (${code}) before it was running`)));
    });
    // Idle means after the start's catch-up of the scheduled jobs (policy.schedule.startDelaySeconds).
    const caughtUpMs = await waitForCatchUp(url, TOKEN);
    log(`serve memory: running; the start's scheduled jobs caught up after ${(caughtUpMs / 1000).toFixed(1)} s; idle ${idleSeconds} s`);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const res = { rssBytes: procKb(child.pid!, 'VmRSS'), peakBytes: procKb(child.pid!, 'VmHWM'), idleSeconds };
    log(`serve memory: ${(res.rssBytes / 2 ** 20).toFixed(0)} MiB resident, peak ${(res.peakBytes / 2 ** 20).toFixed(0)} MiB`);
    return res;
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
