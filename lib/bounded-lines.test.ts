import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { boundedLines, LineTooLong } from './bounded-lines.js';

const collect = async (chunks: (string | Buffer)[], max = 16) => {
  const out: string[] = [];
  for await (const l of boundedLines(Readable.from(chunks), max)) out.push(l);
  return out;
};

describe('boundedLines', () => {
  it('splits lines across chunks, multi-byte characters included', async () => {
    const euro = Buffer.from('€\n');
    expect(await collect(['a\nb', 'c\r\n', euro.subarray(0, 1), euro.subarray(1), 'tail'])).toEqual(
      ['a', 'bc', '€', 'tail'],
    );
  });

  it('throws on a line past the bound, with or without its newline', async () => {
    await expect(collect(['x'.repeat(17), '\n'])).rejects.toBeInstanceOf(LineTooLong);
    await expect(collect(['x'.repeat(10), 'x'.repeat(10)])).rejects.toBeInstanceOf(LineTooLong);
    expect(await collect(['x'.repeat(16), '\n'])).toEqual(['x'.repeat(16)]);
  });
});
