// The agent's command line refused as its user reads it: a listen address given wrong is
// named with an example on the agent's own ports, not the operator's.
import { describe, expect, it } from 'vitest';
import { runAgent } from './main.js';

describe('netgraph-gadget agent', () => {
  it('refuses a bad --listen with an example on its own port', async () => {
    await expect(runAgent(['--node', 'n1', '--listen', '9478'])).rejects.toThrow(
      '--listen must be HOST:PORT, like 0.0.0.0:9478, not "9478"',
    );
  });

  it('refuses a bad --metrics-listen with an example on the metrics port', async () => {
    await expect(
      runAgent(['--node', 'n1', '--listen', '127.0.0.1:0', '--metrics-listen', 'localhost']),
    ).rejects.toThrow('--metrics-listen must be HOST:PORT, like 0.0.0.0:9479, not "localhost"');
  });
});
