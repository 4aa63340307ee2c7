import { expect, it } from 'vitest';
import { parseDuration } from './duration.js';

it('parses durations into milliseconds', () => {
  expect(parseDuration('500ms', 'x')).toBe(500);
  expect(parseDuration('10s', 'x')).toBe(10_000);
  expect(parseDuration('1.5s', 'x')).toBe(1500);
  expect(parseDuration('2m', 'x')).toBe(120_000);
  expect(parseDuration('1h', 'x')).toBe(3_600_000);
  expect(parseDuration('3', 'x')).toBe(3000);
  for (const bad of ['', '0s', 's', '10 sec', '-1s']) {
    expect(() => parseDuration(bad, '--interval')).toThrow(
      `--interval must be a duration like 10s, not "${bad}"`,
    );
  }
});
