import { describe, expect, it } from 'vitest';
import { benchCommand } from '../cli/bench.js';
import { UsageError } from '../cli/common.js';
import { existingSection, PEERS_HEADING, peersPlan, peersSection, spliceSection, type PeerPhase, type PeersResult } from './peers.js';

describe('vigil bench --peers', () => {
  it('runs 200 and 1,000 events/s side by side and doubles the rate for the knee; --quick only shortens the phases', () => {
    const full = peersPlan(false);
    const quick = peersPlan(true);
    expect(full.rates).toEqual([200, 1000]);
    expect(quick.rates).toEqual(full.rates);
    for (const p of [full, quick]) for (let i = 1; i < p.kneeRates.length; i++) expect(p.kneeRates[i]).toBe(p.kneeRates[i - 1] * 2);
    expect(quick.seconds).toBeLessThan(full.seconds);
    expect(quick.kneeSeconds).toBeLessThan(full.kneeSeconds);
    expect(quick.kneeRates.length).toBeLessThanOrEqual(full.kneeRates.length);
  });

  it('runs alone: with --only or --postgres it is refused before anything is installed or started', async () => {
    await expect(benchCommand({ peers: true, only: 'ingest' })).rejects.toThrow(new UsageError('bench --peers runs alone; leave out --only'));
    await expect(benchCommand({ peers: true, postgres: true })).rejects.toThrow(new UsageError('bench --peers runs alone; leave out --postgres'));
  });

  it('puts its section into BENCHMARKS.md: appended the first time, replaced up to the next section later, kept when the rest is rewritten', () => {
    const base = '# Benchmarks\n\n| what | measured |\n\n## Scale-out\n\nfigures\n';
    const one = `${PEERS_HEADING}\n\n### 200 events/s\n\nfirst run\n`;
    const two = `${PEERS_HEADING}\n\n### 200 events/s\n\nsecond run\n`;
    const after1 = spliceSection(base, one);
    expect(after1).toBe(`${base}\n${one}`);
    const after2 = spliceSection(after1, two);
    expect(after2).toBe(`${base}\n${two}`);
    // In the middle of the file: only its own part is replaced.
    const middle = `# Benchmarks\n\n${one}\n## Scale-out\n\nfigures\n`;
    expect(spliceSection(middle, two)).toBe(`# Benchmarks\n\n${two}\n## Scale-out\n\nfigures\n`);
    expect(existingSection(middle)).toBe(one);
    expect(existingSection(after2)).toBe(two);
    expect(existingSection(base)).toBe('');
  });

  it("names the admission budget behind Vigil's 503s in the side-by-side rows", () => {
    const phase = (peer: PeerPhase['peer'], errors: number, shed: Record<string, number>): PeerPhase => ({
      peer, rate: 200, seconds: 30, events: 6000, accepted: 6000 - errors, errors, httpP50: 2, httpP99: 9, alerts: 120, criticals: 120,
      smsP50: 3, smsP99: 8, smsMax: 9, rssPeak: 2 ** 28, hwm: 2 ** 28, achievedRate: 200, shed,
    });
    const r: PeersResult = {
      plan: { ...peersPlan(false), rates: [200] },
      phases: [phase('vigil', 24, { busy: 20, delay: 4 }), phase('node-red', 0, {})],
      knee: [],
      knees: { vigil: { lastRate: 200, http: 200, sms: 200 }, 'node-red': { lastRate: 200 } },
      machine: { cores: 2, cpu: 'test CPU', node: 'v20' },
      installSeconds: 1,
      cached: true,
    };
    const text = peersSection(r, 'vigil bench --peers').join('\n');
    expect(text).toContain('5,976/6,000 (24 not 202; 503 by budget: busy 20, delay 4)');
    expect(text).toContain('| 6,000/6,000 |');
  });
});
