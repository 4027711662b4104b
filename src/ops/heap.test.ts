import { describe, expect, it } from 'vitest';
import { heapMode } from './heap.js';

describe('VIGIL_HEAP', () => {
  it('defaults to the small heap and takes only small or fast', () => {
    expect(heapMode({})).toBe('small');
    expect(heapMode({ VIGIL_HEAP: '' })).toBe('small');
    expect(heapMode({ VIGIL_HEAP: 'small' })).toBe('small');
    expect(heapMode({ VIGIL_HEAP: 'fast' })).toBe('fast');
    expect(() => heapMode({ VIGIL_HEAP: 'big' })).toThrow('VIGIL_HEAP: expected small or fast, got "big"');
  });
});
