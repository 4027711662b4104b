import { describe, expect, it } from 'vitest';
import { UsageError } from './common.js';
import { roleParts } from './serve-role.js';

describe('vigil serve --role', () => {
  it('starts the parts of each role, all by default', () => {
    expect(roleParts(undefined, false)).toEqual({ role: 'all', api: true, runner: true, delivery: true });
    expect(roleParts('all', true)).toEqual({ role: 'all', api: true, runner: true, delivery: true });
    expect(roleParts('api', true)).toEqual({ role: 'api', api: true, runner: false, delivery: false });
    expect(roleParts('worker', true)).toEqual({ role: 'worker', api: false, runner: true, delivery: true });
  });

  it('refuses api and worker on the embedded store, and an unknown role, naming what it expected', () => {
    expect(() => roleParts('worker', false)).toThrow(UsageError);
    expect(() => roleParts('api', false)).toThrow(/--role api needs a PostgreSQL server \(DATABASE_URL\)/);
    expect(() => roleParts('both', true)).toThrow(/--role expects api, worker or all, got both/);
  });
});
