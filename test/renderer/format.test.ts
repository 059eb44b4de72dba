/** How counts are written: the noun in the right number ("1 speaker", not "1 speakers"). */
import { describe, expect, it } from 'vitest';
import { count } from '../../renderer/src/lib/format';

describe('count', () => {
  it('writes the singular for one and the plural otherwise, with thousands separators', () => {
    expect(count(1, 'speaker')).toBe('1 speaker');
    expect(count(0, 'speaker')).toBe('0 speakers');
    expect(count(2, 'class', 'classes')).toBe('2 classes');
    expect(count(1, 'class', 'classes')).toBe('1 class');
    expect(count(1535, 'clip')).toBe('1,535 clips');
  });
});
