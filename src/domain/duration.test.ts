import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads a number and a unit', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('2W')).toBe(14 * 86_400_000);
    expect(parseDuration('1y')).toBe(365 * 86_400_000);
  });
  it('refuses anything else', () => {
    for (const bad of ['', 'soon', '0d', '-1d', '1.5h', '30', 'd', '1000000y', '3 days']) expect(parseDuration(bad)).toBeUndefined();
  });
});
