import { describe, expect, it } from 'vitest';
import { parseLocalArgs } from './args.js';

describe('parseLocalArgs', () => {
  it('has defaults', () => {
    expect(parseLocalArgs([])).toEqual({
      help: false,
      netns: [],
      durationMs: 10_000,
      intervalMs: 1000,
      output: 'json',
      maxEdges: 32768,
      maxFlows: 131072,
      attach: 'socket',
      all: false,
      textfileIntervalMs: 15_000,
    });
  });

  it("writes ngraph's textfile until stopped, every 15 s unless told", () => {
    expect(parseLocalArgs(['--textfile-dir', '/var/lib/node_exporter', '--all'])).toMatchObject({
      textfileDir: '/var/lib/node_exporter',
      all: true,
      durationMs: Number.POSITIVE_INFINITY,
      textfileIntervalMs: 15_000,
    });
    expect(
      parseLocalArgs(['--textfile-dir', 'd', '--textfile-interval', '30s', '--duration', '1m']),
    ).toMatchObject({ durationMs: 60_000, textfileIntervalMs: 30_000 });
  });

  it('refuses bad textfile flags, naming them', () => {
    expect(() => parseLocalArgs(['--textfile-dir', ''])).toThrow(
      '--textfile-dir must name a folder',
    );
    expect(() => parseLocalArgs(['--textfile-dir', 'd', '--textfile-interval', 'often'])).toThrow(
      '--textfile-interval must be a duration like 10s, not "often"',
    );
    expect(() => parseLocalArgs(['--all', '--netns', 'a'])).toThrow(
      '--all and --netns exclude each other',
    );
  });

  it('takes repeated namespaces and every option', () => {
    const o = parseLocalArgs(
      [
        '--netns',
        'a',
        '--netns',
        '/proc/42/ns/net',
        '--duration',
        '2m',
        '--interval',
        '250ms',
      ].concat(['--output', 'table', '--max-edges', '10', '--max-flows', '20', '--attach', 'tcx']),
    );
    expect(o).toMatchObject({
      netns: ['a', '/proc/42/ns/net'],
      durationMs: 120_000,
      intervalMs: 250,
      output: 'table',
      maxEdges: 10,
      maxFlows: 20,
      attach: 'tcx',
    });
  });

  it('never drains less often than once per run', () => {
    expect(parseLocalArgs(['--duration', '300ms']).intervalMs).toBe(300);
  });

  it('says what is wrong in one line', () => {
    expect(() => parseLocalArgs(['--output', 'xml'])).toThrow(
      '--output must be json or table, not "xml"',
    );
    expect(() => parseLocalArgs(['--attach', 'xdp'])).toThrow(
      '--attach must be one of socket, tcx, not "xdp"',
    );
    expect(() => parseLocalArgs(['--max-flows', '1.5'])).toThrow(
      '--max-flows must be a whole number',
    );
    expect(() => parseLocalArgs(['--interval=-1s'])).toThrow('--interval must be a duration');
    expect(() => parseLocalArgs(['--nope'])).toThrow("Unknown option '--nope' (see --help)");
    expect(() => parseLocalArgs(['extra'])).toThrow('(see --help)');
  });
});
