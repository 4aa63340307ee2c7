import { describe, expect, it } from 'vitest';
import { parseInvocation, UsageError } from './args.js';

const usage = (argv: string[]) => {
  try {
    parseInvocation(argv);
  } catch (err) {
    if (err instanceof UsageError) return { message: err.message, command: err.command };
    throw err;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
};

describe('the command line', () => {
  it('reads a command, its NAME and its flags, kubectl style', () => {
    expect(parseInvocation(['start', 'network-graph', '-n', 'gadget'])).toMatchObject({
      command: 'start',
      name: 'network-graph',
      namespace: 'gadget',
      timeoutMs: 60_000,
    });
    expect(parseInvocation(['-n', 'gadget', 'stop', 'x', '--timeout=2m'])).toMatchObject({
      command: 'stop',
      namespace: 'gadget',
      timeoutMs: 120_000,
    });
    expect(parseInvocation(['get', '-A', '-o', 'json'])).toMatchObject({
      command: 'get',
      allNamespaces: true,
      output: 'json',
    });
    const o = parseInvocation([
      'observe',
      'x',
      '--since',
      '5m',
      '--operator',
      'https://10.0.0.1:9090',
      '--operator-ca',
      '/tmp/ca.pem',
    ]);
    expect(o.sinceMs).toBe(300_000);
    expect(o.operator?.href).toBe('https://10.0.0.1:9090/');
    expect(o.operatorCA).toBe('/tmp/ca.pem');
    const ui = parseInvocation(['ui', '--port', '8001', '--open']);
    expect(ui).toMatchObject({ command: 'ui', port: 8001, open: true });
    expect(ui.name).toBeUndefined();
  });

  it('reads --since as 30s, 5m, 1h and 500ms', () => {
    const since = (s: string) => parseInvocation(['observe', 'x', '--since', s]).sinceMs;
    expect(since('30s')).toBe(30_000);
    expect(since('1h')).toBe(3_600_000);
    expect(since('500ms')).toBe(500);
    expect(since('90')).toBe(90_000);
    expect(usage(['observe', 'x', '--since', 'yesterday']).message).toBe(
      '--since must be a duration like 10s, not "yesterday" (30s, 5m, 1h)',
    );
    expect(usage(['observe', 'x', '--since=-5m']).message).toMatch(/^--since must be/);
    expect(usage(['observe', 'x', '--since', '0s']).message).toMatch(/^--since must be/);
  });

  it('gives help for every command, as --help, -h or help COMMAND', () => {
    for (const c of ['start', 'stop', 'generate', 'get', 'observe', 'ui', 'version'] as const) {
      expect(parseInvocation([c, '--help'])).toMatchObject({ command: c, help: true });
      expect(parseInvocation(['help', c])).toMatchObject({ command: c, help: true });
    }
    expect(parseInvocation(['-h'])).toMatchObject({ command: 'help', help: true });
    expect(parseInvocation(['help'])).toMatchObject({ command: 'help', help: true });
    // --help wins over a missing NAME.
    expect(parseInvocation(['observe', '--help'])).toMatchObject({ help: true });
  });

  it('refuses what a command does not take, naming it', () => {
    expect(usage([])).toEqual({ message: 'a command is required', command: 'help' });
    expect(usage(['follow', 'x']).message).toMatch(/^unknown command "follow": one of start/);
    expect(usage(['start'])).toEqual({ message: "start needs the Trace's NAME", command: 'start' });
    expect(usage(['start', 'a', 'b']).message).toBe('start takes one NAME, not 2');
    expect(usage(['start', 'x', '--since', '5m'])).toEqual({
      message: 'start takes no --since',
      command: 'start',
    });
    expect(usage(['get', '--port', '1']).message).toBe('get takes no --port');
    expect(usage(['version', 'x']).message).toBe('version takes no arguments');
    expect(usage(['get', '--frobnicate'])).toEqual({
      message: "Unknown option '--frobnicate'",
      command: 'get',
    });
    expect(usage(['get', 'x', '-A']).message).toMatch(/^-A lists every namespace/);
    expect(usage(['get', '-n', 'gadget', '-A']).message).toMatch(/^-A lists every namespace/);
    expect(usage(['get', '-o', 'yaml']).message).toBe('-o must be table or json, not "yaml"');
    expect(usage(['start', 'Network_Graph']).message).toMatch(/^NAME "Network_Graph" is not/);
    expect(usage(['start', 'x', '-n', 'a/b']).message).toMatch(/^-n "a\/b" is not/);
    expect(usage(['ui', '--port', '70000']).message).toMatch(/^--port must be a port number/);
    expect(usage(['ui', '--port', 'any']).message).toMatch(/^--port must be a port number/);
    expect(usage(['observe', 'x', '--operator', 'netgraph:9090']).message).toMatch(
      /^--operator must be an http or https URL/,
    );
    expect(usage(['observe', 'x', '--operator', 'http://h:9090/api']).message).toMatch(
      /^--operator must be an http or https URL with no path/,
    );
    expect(usage(['observe', 'x', '--operator-ca', 'ca.pem']).message).toBe(
      '--operator-ca goes with an https --operator URL',
    );
    expect(usage(['help', 'follow']).message).toBe('unknown command "follow"');
  });
});
