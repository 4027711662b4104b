import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireStore, processAlive, storeOwner } from './lock.js';

/** A zombie: a child that exited under a parent that never reaps it (`sleep` replaced the shell). */
async function withZombie(fn: (pid: number) => Promise<void> | void): Promise<void> {
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      parent.once('error', reject);
    });
    // Wait (bounded) until the child has exited and sits unreaped.
    for (let i = 0; i < 100 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    await fn(pid);
  } finally {
    parent.kill('SIGKILL');
  }
}

describe('the embedded store lock', () => {
  it('counts a zombie as dead, so a restart after kill -9 is not refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-lock-'));
    await withZombie((pid) => {
      expect(() => process.kill(pid, 0)).not.toThrow(); // the OS still lists it
      expect(processAlive(pid)).toBe(false);
      writeFileSync(join(dir, 'vigil-owner.json'), JSON.stringify({ pid, command: 'serve', startedAt: new Date().toISOString() }));
      expect(storeOwner(dir)).toBeUndefined();
      const lock = acquireStore(dir, { command: 'serve' });
      expect(storeOwner(dir)).toBeUndefined(); // held by this process now
      lock.release();
    });
  });

  it('refuses a store held by a live process, naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-lock-'));
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, 'vigil-owner.json'), JSON.stringify({ pid: child.pid, command: 'serve', url: 'http://127.0.0.1:9', startedAt: new Date().toISOString() }));
      expect(processAlive(child.pid!)).toBe(true);
      expect(() => acquireStore(dir, { command: 'ingest' })).toThrow(/in use by `vigil serve` \(pid \d+, http:\/\/127\.0\.0\.1:9\)/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('keeps the data directory to its owner (0700), narrowing an existing one', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'vigil-lock-')), 'data');
    acquireStore(dir, { command: 'serve' }).release();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const open = mkdtempSync(join(tmpdir(), 'vigil-lock-'));
    chmodSync(open, 0o777);
    acquireStore(open, { command: 'serve' }).release();
    expect(statSync(open).mode & 0o777).toBe(0o700);
  });
});
