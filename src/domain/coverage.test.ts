import { describe, expect, it } from 'vitest';
import { coverageShare, sectorContains, sectorTouchesPolygon, unionCoverageShare, type Sector } from './coverage.js';

const square: [number, number][] = [[0, 0], [10, 0], [10, 10], [0, 10]];

describe('camera coverage geometry', () => {
  it('a camera facing away covers nothing', () => {
    const s: Sector = { origin: [-1, 5], direction: 180, angle: 90, range: 50 };
    expect(coverageShare(s, square)).toBe(0);
    expect(sectorTouchesPolygon(s, square)).toBe(false);
    expect(sectorContains(s, [5, 5])).toBe(false);
  });

  it('range and angle edges are inclusive, just past them is not', () => {
    const s: Sector = { origin: [0, 0], direction: 0, angle: 90, range: 10 };
    expect(sectorContains(s, [10, 0])).toBe(true);
    expect(sectorContains(s, [10.001, 0])).toBe(false);
    const edge = Math.SQRT1_2 * 5;
    expect(sectorContains(s, [edge, edge])).toBe(true); // exactly on the 45 degree edge
    expect(sectorContains(s, [edge, edge + 0.01])).toBe(false);
    expect(sectorContains(s, [edge, -edge])).toBe(true);
  });

  it('a polygon half covered: a 180 degree camera on the middle of a square looking along one half', () => {
    // At the centre, facing north, 180 degrees, a range past the corners: the top half.
    const s: Sector = { origin: [5, 5], direction: 90, angle: 180, range: 100 };
    expect(coverageShare(s, square)).toBeCloseTo(0.5, 6);
  });

  it('a quarter: a 90 degree camera in a corner of the square seeing the whole square', () => {
    const s: Sector = { origin: [0, 0], direction: 45, angle: 90, range: 100 };
    expect(coverageShare(s, square)).toBeCloseTo(1, 6);
    // Range 10 from the corner sees a quarter disc: pi * 100 / 4 of 100 square metres.
    expect(coverageShare({ ...s, range: 10 }, square)).toBeCloseTo(Math.PI / 4, 3);
  });

  it('a full-circle camera and a concave polygon', () => {
    const l: [number, number][] = [[0, 0], [10, 0], [10, 4], [4, 4], [4, 10], [0, 10]]; // L shape, area 64
    expect(coverageShare({ origin: [2, 2], direction: 0, angle: 360, range: 1000 }, l)).toBeCloseTo(1, 6);
    // Looking east from (0, 2) with 2 degrees of opening: only the bottom arm.
    const thin: Sector = { origin: [0, 2], direction: 0, angle: 2, range: 1000 };
    expect(sectorTouchesPolygon(thin, l)).toBe(true);
  });

  it('the union of two cameras counts overlap once', () => {
    const a: Sector = { origin: [5, 5], direction: 90, angle: 180, range: 100 };
    const b: Sector = { origin: [5, 5], direction: 90, angle: 180, range: 100 };
    expect(unionCoverageShare([a, b], square)).toBeCloseTo(0.5, 1);
    const c: Sector = { origin: [5, 5], direction: 270, angle: 180, range: 100 };
    expect(unionCoverageShare([a, c], square)).toBeCloseTo(1, 2);
  });
});
