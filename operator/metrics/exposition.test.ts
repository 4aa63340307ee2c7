import { describe, expect, it } from 'vitest';
import { counterHeader, labelText } from './exposition.js';

describe('exposition', () => {
  it('escapes label values and leaves empty ones out, in order', () => {
    expect(labelText({ b: 'x"y\\z\nw', a: '1', c: '' }, ['a', 'b', 'c'])).toBe(
      'a="1",b="x\\"y\\\\z\\nw"',
    );
    expect(labelText({ a: '' }, ['a'])).toBe('');
  });
  it('renders a counter family header', () => {
    expect(counterHeader('m_total', 'Some help')).toBe(
      '# HELP m_total Some help\n# TYPE m_total counter\n',
    );
  });
});
