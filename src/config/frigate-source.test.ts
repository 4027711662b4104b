import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { InvalidError } from '../domain/errors.js';
import { BUNDLED, parseConfig } from './loader.js';

const demo = () => YAML.parse(readFileSync(BUNDLED.demo, 'utf8')) as Record<string, unknown>;
const problems = (frigate: unknown) => {
  try {
    parseConfig({ ...demo(), sources: { frigate } });
    return [];
  } catch (e) {
    if (e instanceof InvalidError) return e.problems;
    throw e;
  }
};

describe('sources.frigate', () => {
  it('takes a mapping of configured cameras and zones, with the defaults', () => {
    const c = parseConfig({ ...demo(), sources: { frigate: { url: 'mqtt://127.0.0.1:1883', cameras: { front: 'cam-101-ent' }, zones: { yard: 'entrance' } } } });
    expect(c.sources.frigate).toEqual({ url: 'mqtt://127.0.0.1:1883', topicPrefix: 'frigate', cameras: { front: 'cam-101-ent' }, zones: { yard: 'entrance' }, labels: ['person'], loiterSeconds: 120 });
    expect(c.policy.sources).toEqual({ silentAfterSeconds: 600, checkEverySeconds: 30 });
  });

  it('names the path of an unknown camera, a device that is not a camera, and an unknown zone', () => {
    expect(problems({ url: 'mqtt://127.0.0.1:1883', cameras: { front: 'cam-nope', door: 'cr-101-co', ok: 'cam-101-ent' }, zones: { yard: 'nowhere', hall: 'back-hall' } })).toEqual([
      { path: 'sources.frigate.cameras.front', message: expect.stringContaining('unknown camera "cam-nope"') },
      { path: 'sources.frigate.cameras.door', message: expect.stringContaining('unknown camera "cr-101-co"') },
      { path: 'sources.frigate.zones.yard', message: expect.stringContaining('unknown zone "nowhere"') },
    ]);
  });

  it('refuses a missing url, an empty camera map and a wildcard prefix', () => {
    const paths = problems({ topicPrefix: 'frigate/#', cameras: {} }).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['sources.frigate.url', 'sources.frigate.cameras', 'sources.frigate.topicPrefix']));
  });
});
