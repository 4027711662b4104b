/**
 * The embedded store belongs to one process at a time. A server records itself in
 * `<dataDir>/vigil-owner.json`; other commands read it and refuse to open the store while that
 * process lives. A lock left by a process that died (kill -9) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConflictError } from '../domain/errors.js';

export interface StoreOwner {
  pid: number;
  command: string;
  url?: string;
  startedAt: string;
}

const lockFile = (dataDir: string) => join(dataDir, 'vigil-owner.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live process holding the store, if any. */
export function storeOwner(dataDir: string): StoreOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(lockFile(dataDir), 'utf8')) as StoreOwner;
    return owner.pid !== process.pid && alive(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the store for this process; throws a ConflictError naming the holder when it is taken. */
export function acquireStore(dataDir: string, info: Omit<StoreOwner, 'pid' | 'startedAt'>): { update(u: Partial<StoreOwner>): void; release(): void } {
  if (dataDir.startsWith('memory://')) return { update() {}, release() {} };
  mkdirSync(dataDir, { recursive: true });
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
