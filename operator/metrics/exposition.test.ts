import { describe, expect, it } from 'vitest';
import { counterHeader, labelText, sample } from './exposition.js';

describe('exposition', () => {
  it('escapes label values and leaves empty ones out, in order', () => {
    expect(labelText({ b: 'x"y\\z\nw', a: '1', c: '' }, ['a', 'b', 'c'])).toBe(
      'a="1",b="x\\"y\\\\z\\nw"',
    );
  });
  it('renders samples with and without labels', () => {
    expect(sample('m_total', 'a="1"', 'direction="sent"', 5)).toBe(
      'm_total{a="1",direction="sent"} 5\n',
    );
    expect(sample('m_total', '', '', 0)).toBe('m_total 0\n');
    expect(counterHeader('m_total', 'Some help')).toBe(
      '# HELP m_total Some help\n# TYPE m_total counter\n',
    );
  });
});
