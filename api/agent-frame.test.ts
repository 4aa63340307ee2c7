import { describe, expect, it } from 'vitest';
import { parseAgentFrame } from './agent-frame.js';

describe('parseAgentFrame', () => {
  it.each([
    '{"hello":{"node":"n1","epoch":"e1"}}',
    '{"seq":3,"edge":{"type":"normal","namespace":"demo","pod":"a","pktType":"OUTGOING","proto":"tcp","ip":"10.0.0.2","port":80,"connections":1}}',
    '{"status":{"pods":2,"warning":"socket filter"}}',
    '{"ping":4}',
    '{"end":true}',
  ])('takes %s', (line) => {
    expect(parseAgentFrame(line).ok).toBe(true);
  });

  it.each([
    ['not JSON', '{"seq":'],
    ['an array', '[1]'],
    ['no known frame', '{"hi":1}'],
    ['a port out of range', '{"seq":1,"edge":{"type":"normal","port":70000}}'],
    ['a negative counter', '{"seq":1,"edge":{"type":"normal","bytesSent":-5}}'],
    ['a sequence that is not an integer', '{"seq":"1","edge":{"type":"normal"}}'],
    ['a label that is not a string', '{"seq":1,"edge":{"type":"normal","podLabels":{"a":1}}}'],
    ['a status without pods', '{"status":{}}'],
    ['end that is not true', '{"end":1}'],
  ])('refuses %s', (_what, line) => {
    const r = parseAgentFrame(line);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/^a stream line is not/);
  });
});
