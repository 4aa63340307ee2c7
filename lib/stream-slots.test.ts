import { describe, expect, it } from 'vitest';
import { type Slot, StreamSlots } from './stream-slots.js';

const slot = (s: Slot | { refused: string }): Slot => {
  if ('refused' in s) throw new Error(s.refused);
  return s;
};

describe('stream slots', () => {
  it('bounds streams per identity and in all, and gives slots back once', () => {
    const slots = new StreamSlots({ maxStreams: 3, maxPerIdentity: 2 });
    const a1 = slot(slots.take('alice'));
    slot(slots.take('alice'));
    expect(slots.take('alice')).toEqual({
      refused: 'too many live streams for alice: at most 2 at once',
    });
    slot(slots.take('bob'));
    expect(slots.take('carol')).toEqual({ refused: 'too many live streams: at most 3 in all' });
    a1.release();
    a1.release();
    expect(slots.size).toBe(2);
    slot(slots.take('carol'));
    expect(slots.take('alice')).toEqual({ refused: 'too many live streams: at most 3 in all' });
  });
});
