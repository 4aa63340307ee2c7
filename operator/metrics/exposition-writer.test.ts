import { describe, expect, it } from 'vitest';
import { ChunkPool, ExpositionWriter, sampleShape } from './exposition-writer.js';

/** A writer over a sink that keeps its chunks; behind after every `lagEvery` chunks. */
function collect(size: number, lagEvery = 0) {
  const chunks: Buffer[] = [];
  let drains = 0;
  const w = new ExpositionWriter(
    {
      write: (c) => chunks.push(c) % lagEvery !== 0 || lagEvery === 0,
      drained: async () => {
        drains++;
        return true;
      },
    },
    new ChunkPool(size),
  );
  const text = () => {
    w.flush();
    return Buffer.concat(chunks).toString();
  };
  return { w, chunks, text, drains: () => drains };
}

describe('ExpositionWriter', () => {
  it('writes sample lines with and without labels and an extra label', () => {
    const { w, text } = collect(1024);
    w.sample(sampleShape('m_total', 'direction="sent"'), 'a="1"', 5);
    w.sample(sampleShape('m_total', 'direction="sent"'), '', 6);
    w.sample(sampleShape('m_total'), 'a="1"', 7);
    w.sample(sampleShape('m_total'), '', 0);
    expect(text()).toBe(
      'm_total{a="1",direction="sent"} 5\nm_total{direction="sent"} 6\nm_total{a="1"} 7\nm_total 0\n',
    );
  });

  it('writes values as JavaScript prints them', () => {
    const values = [0, 7, 10, 99, 1000, 123456789, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 1e21, 0.5, -3];
    const { w, text } = collect(64);
    for (const v of values) w.sample(sampleShape('m'), '', v);
    expect(text()).toBe(values.map((v) => `m ${v}\n`).join(''));
  });

  it('splits into chunks no larger than its size, keeping every byte and UTF-8 whole', () => {
    const { w, chunks, text } = collect(256);
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) {
      const inner = `pod="p-${i}-ünïcødé-🙂",ns="${'x'.repeat(i % 40)}"`;
      w.sample(sampleShape('netgraph_edge_bytes_total', 'direction="sent"'), inner, i * 1001);
      lines.push(`netgraph_edge_bytes_total{${inner},direction="sent"} ${i * 1001}\n`);
    }
    w.flush();
    w.text('# a text longer than a chunk: '.repeat(10));
    expect(text()).toBe(`${lines.join('')}${'# a text longer than a chunk: '.repeat(10)}`);
    expect(chunks.length).toBeGreaterThan(50);
    // Only a text that cannot fit in any chunk goes out whole.
    expect(chunks.slice(0, -1).every((c) => c.length <= 256)).toBe(true);
    expect(chunks.at(-1)?.length).toBe(300);
  });

  it('says when the sink is behind, and waits for it', async () => {
    const { w, drains } = collect(16, 2);
    const ten = Buffer.from('0123456789');
    w.bytes(ten);
    w.bytes(ten); // the first chunk out: taken
    expect(w.behind).toBe(false);
    w.bytes(ten); // the second: the sink is behind
    expect(w.behind).toBe(true);
    expect(await w.drained()).toBe(true);
    expect(w.behind).toBe(false);
    expect(drains()).toBe(1);
    expect(await w.drained()).toBe(true);
    expect(drains()).toBe(1);
  });

  it('writes again into the chunks the sink has sent, and only those', () => {
    const pool = new ChunkPool(16, 2);
    // A chunk's bytes are read when the sink is done with it, as a socket would send them.
    const slots: { chunk: Buffer; text?: string }[] = [];
    const inFlight: (() => void)[] = [];
    const w = new ExpositionWriter(
      {
        write: (chunk, sent) => {
          const slot: { chunk: Buffer; text?: string } = { chunk };
          slots.push(slot);
          inFlight.push(() => {
            slot.text = chunk.toString();
            sent();
          });
          return true;
        },
        drained: async () => true,
      },
      pool,
    );
    const buffers = new Set<ArrayBufferLike>();
    const take = pool.take.bind(pool);
    pool.take = () => {
      const b = take();
      buffers.add(b.buffer);
      return b;
    };
    for (let i = 0; i < 10; i++) {
      w.bytes(Buffer.from(`line-${i}-xxxxx\n`));
      // Every other line the sink sends what it holds; the rest stays in flight a while.
      if (i % 2 === 0) for (const send of inFlight.splice(0)) send();
    }
    w.flush();
    w.close();
    for (const send of inFlight.splice(0)) send();
    expect(slots.map((s) => s.text).join('')).toBe(
      Array.from({ length: 10 }, (_, i) => `line-${i}-xxxxx\n`).join(''),
    );
    expect(buffers.size).toBeLessThanOrEqual(3);
  });
});
