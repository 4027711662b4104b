/**
 * The embedded store belongs to one process at a time. A server records itself in
 * `<dataDir>/vigil-owner.json`; other commands read it and refuse to open the store while that
 * process lives. A lock left by a process that died (kill -9), or that is a zombie nobody reaped,
 * is taken over. The data directory is the owner's only (0700).
 */
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError } from '../domain/errors.js';

export interface StoreOwner {
  pid: number;
  command: string;
  url?: string;
  startedAt: string;
}

const lockFile = (dataDir: string) => join(dataDir, 'vigil-owner.json');

/**
 * Creates the data directory readable by its owner only (0700), and narrows an existing one to
 * 0700: the store's files inside are written with the process's umask, often world-readable.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Whether a process is alive. `kill(pid, 0)` also succeeds for a zombie (a process that died but
 * that nobody has reaped yet, as under a container's first process that does not reap), so where
 * /proc tells the process state, a zombie ('Z') or a dead task ('X') counts as dead.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ...": comm may hold spaces and parentheses, the state follows the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (not Linux): kill(pid, 0) is all there is
  }
}

/** The live process holding the store, if any. */
export function storeOwner(dataDir: string): StoreOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(lockFile(dataDir), 'utf8')) as StoreOwner;
    return owner.pid !== process.pid && processAlive(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the store for this process; throws a ConflictError naming the holder when it is taken. */
export function acquireStore(dataDir: string, info: Omit<StoreOwner, 'pid' | 'startedAt'>): { update(u: Partial<StoreOwner>): void; release(): void } {
  if (dataDir.startsWith('memory://')) return { update() {}, release() {} };
  ensurePrivateDir(dataDir);
  const holder = storeOwner(dataDir);
  if (holder) {
    throw new ConflictError(
      `the embedded store in ${dataDir} is in use by \`vigil ${holder.command}\` (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''}); ` +
        `stop it first, or send the data through its API (POST /api/v1/events)`,
    );
  }
  let owner: StoreOwner = { pid: process.pid, startedAt: new Date().toISOString(), ...info };
  const write = () => {
    const fd = openSync(lockFile(dataDir), 'w');
    try {
      writeSync(fd, JSON.stringify(owner));
    } finally {
      closeSync(fd);
    }
  };
  write();
  return {
    update(u) {
      owner = { ...owner, ...u };
      write();
    },
    release() {
      try {
        const current = JSON.parse(readFileSync(lockFile(dataDir), 'utf8')) as StoreOwner;
        if (current.pid === process.pid) rmSync(lockFile(dataDir), { force: true });
      } catch {
        // already gone
      }
    },
  };
}
