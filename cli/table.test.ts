import { describe, expect, it } from 'vitest';
import { age, bytes, row, table } from './table.js';

describe('tables', () => {
  it('pads columns to their widest cell, three spaces apart, no trailing blanks', () => {
    expect(
      table(
        ['NAME', 'STATE', 'REASON'],
        [
          ['network-graph', 'Started', ''],
          ['x', 'Stopped', 'gone'],
        ],
      ),
    ).toBe(
      [
        'NAME            STATE     REASON',
        'network-graph   Started',
        'x               Stopped   gone',
      ].join('\n'),
    );
    // A cell wider than its fixed column pushes the rest right instead of being cut.
    expect(row(['abcdef', 'b', 'c'], [3, 3, 0])).toBe('abcdef   b     c');
  });

  it('prints byte counts and ages as kubectl does', () => {
    expect([0, 1023, 1024, 1536, 10 * 1024, 5 * 1024 ** 3].map(bytes)).toEqual([
      '0B',
      '1023B',
      '1KiB',
      '1.5KiB',
      '10KiB',
      '5GiB',
    ]);
    const now = Date.parse('2026-01-02T00:00:00Z');
    const ago = (s: number) => age(new Date(now - s * 1000).toISOString(), now);
    expect([ago(5), ago(119), ago(120), ago(7199), ago(7200), ago(3 * 86_400)]).toEqual([
      '5s',
      '119s',
      '2m',
      '119m',
      '2h',
      '3d',
    ]);
    expect(age(undefined, now)).toBe('<unknown>');
  });
});
