// Newline-delimited text from a stream, a line at a time, with a bound on a line's length:
// a peer that never sends a newline cannot make the reader buffer without end. A line past
// the bound throws, and the caller drops the stream.
import { StringDecoder } from 'node:string_decoder';

export class LineTooLong extends Error {}

export async function* boundedLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes: number,
): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of input) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (Buffer.byteLength(line) > maxBytes)
        throw new LineTooLong(`a line over ${maxBytes} bytes`);
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
      nl = pending.indexOf('\n');
    }
    // Characters are at most 4 bytes: past this, the unfinished line is over the bound.
    if (pending.length > maxBytes) throw new LineTooLong(`a line over ${maxBytes} bytes`);
  }
  pending += decoder.end();
  if (pending) yield pending;
}
