/**
 * A private Mosquitto broker for one test: its own port, configuration and persistence directory,
 * so a test can stop and restart it without disturbing anyone else's broker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/ops/free-port.js';

/** Where Debian installs the broker. */
export const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) => existsSync(p));

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });

/** A broker on 127.0.0.1:<port> with persistence (sessions and queued messages survive a restart). */
export class PrivateMosquitto {
  port = 0;
  private dir = '';
  private proc: ChildProcess | undefined;

  /** `extra`: more configuration lines (they come after the defaults, e.g. `allow_anonymous false`). */
  constructor(private readonly extra: string[] = []) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (!MOSQUITTO) throw new Error('mosquitto is not installed');
    if (!this.dir) {
      this.dir = await mkdtemp(join(tmpdir(), 'vigil-mosquitto-'));
      // Started as root, mosquitto drops to its own user, which must be able to save its database here.
      await chmod(this.dir, 0o777);
      this.port = await freePort();
      await writeFile(
        join(this.dir, 'mosquitto.conf'),
        [`listener ${this.port} 127.0.0.1`, ...(this.extra.some((l) => l.startsWith('allow_anonymous')) ? [] : ['allow_anonymous true']), 'persistence true', `persistence_location ${this.dir}/`, 'log_dest none', ...this.extra, ''].join('\n'),
      );
    }
    this.proc = spawn(MOSQUITTO, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      if (await canConnect(this.port)) return this;
      if (this.proc.exitCode !== null) throw new Error(`mosquitto exited with ${this.proc.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('mosquitto did not start listening');
  }

  /** Stops the broker (SIGTERM: it saves its sessions and queued messages) and waits until it is gone. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
