import { describe, expect, it } from 'vitest';
import { Progress, progressLine } from './progress.js';

class Sink {
  out = '';
  isTTY: boolean;
  constructor(tty: boolean) {
    this.isTTY = tty;
  }
  write(s: string) {
    this.out += s;
    return true;
  }
}

describe('progress', () => {
  it('draws a bar with a total on a terminal, plain figures otherwise', () => {
    expect(progressLine('f.csv', { done: 512 * 1024, total: 1024 * 1024, unit: 'bytes', note: '10 read' }, true)).toBe(
      'f.csv: [##############--------------]  50% 512.0 KiB / 1.0 MiB, 10 read',
    );
    expect(progressLine('f.csv', { done: 512 * 1024, total: 1024 * 1024, unit: 'bytes' }, false)).toBe('f.csv: 512.0 KiB / 1.0 MiB');
    expect(progressLine('sim', { done: 1200, unit: 'events' }, true)).toBe('sim: 1,200 events');
  });

  it('redraws in place on a terminal and ends with a newline; writes whole lines otherwise', () => {
    const tty = new Sink(true);
    const p = new Progress('x', tty as unknown as NodeJS.WriteStream, true);
    p.update({ done: 1, total: 4, unit: 'rows' }, true);
    p.update({ done: 2, total: 4, unit: 'rows' }, true);
    p.done();
    expect(tty.out.split('\r').length).toBe(3);
    expect(tty.out.endsWith('\n')).toBe(true);
    const plain = new Sink(false);
    const q = new Progress('x', plain as unknown as NodeJS.WriteStream, false);
    q.update({ done: 1, total: 4, unit: 'rows' }, true);
    q.done();
    expect(plain.out).toBe('x: 1 rows / 4 rows\n');
  });
});
