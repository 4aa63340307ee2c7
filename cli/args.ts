// The plugin's command line, checked before anything talks to a cluster: the command,
// its NAME, and only the flags that command takes. A mistake is a UsageError (exit 2)
// that says what was wrong.
import { parseArgs } from 'node:util';
import { parseDuration } from '../lib/duration.js';

export const COMMANDS = [
  'start',
  'stop',
  'generate',
  'get',
  'observe',
  'ui',
  'version',
  'help',
] as const;
export type Command = (typeof COMMANDS)[number];
export type Output = 'table' | 'json';

export class UsageError extends Error {
  /** The command whose usage to show, when known. */
  constructor(
    message: string,
    readonly command: Command = 'help',
  ) {
    super(message);
  }
}

export interface Invocation {
  command: Command;
  /** `--help`, or `help COMMAND`: print that command's usage. */
  help: boolean;
  name?: string;
  namespace?: string;
  allNamespaces: boolean;
  kubeconfig?: string;
  context?: string;
  /** Where the operator's port is; undefined: port-forward to it. */
  operator?: URL;
  operatorNamespace?: string;
  operatorCA?: string;
  output: Output;
  /** observe --since, in ms. */
  sinceMs?: number;
  /** ui: the local port, 0 for a free one. */
  port: number;
  open: boolean;
  /** How long start/stop/generate wait for the operator. */
  timeoutMs: number;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  operator: { type: 'string' },
  'operator-namespace': { type: 'string' },
  'operator-ca': { type: 'string' },
  output: { type: 'string', short: 'o' },
  since: { type: 'string' },
  port: { type: 'string' },
  open: { type: 'boolean' },
  timeout: { type: 'string' },
} as const;
type Option = keyof typeof OPTIONS;

const KUBE: Option[] = ['help', 'kubeconfig', 'context'];
const OPERATOR: Option[] = ['operator', 'operator-namespace', 'operator-ca'];
/** The flags each command takes, and whether its NAME is required, optional or none. */
const TAKES: Record<Command, { flags: Option[]; name: 'required' | 'optional' | 'none' }> = {
  start: { flags: [...KUBE, 'namespace', 'timeout'], name: 'required' },
  stop: { flags: [...KUBE, 'namespace', 'timeout'], name: 'required' },
  generate: { flags: [...KUBE, 'namespace', 'timeout'], name: 'required' },
  get: { flags: [...KUBE, 'namespace', 'all-namespaces', 'output'], name: 'optional' },
  observe: { flags: [...KUBE, ...OPERATOR, 'namespace', 'output', 'since'], name: 'required' },
  ui: { flags: [...KUBE, ...OPERATOR, 'namespace', 'port', 'open'], name: 'optional' },
  version: { flags: ['help'], name: 'none' },
  help: { flags: ['help'], name: 'optional' },
};

const isCommand = (s: string | undefined): s is Command =>
  (COMMANDS as readonly (string | undefined)[]).includes(s);

/** A Kubernetes object name or namespace (RFC 1123 subdomain). */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function checkName(what: string, value: string, command: Command): string {
  if (!NAME.test(value))
    throw new UsageError(
      `${what} "${value}" is not a Kubernetes name (lower-case letters, digits, '-' and '.')`,
      command,
    );
  return value;
}

export function parseOperatorURL(text: string, command: Command): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--operator must be a URL like https://host:9090, not "${text}"`, command);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search)
    throw new UsageError(
      `--operator must be an http or https URL with no path, like https://host:9090, not "${text}"`,
      command,
    );
  return url;
}

export function parseInvocation(argv: string[]): Invocation {
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  try {
    parsed = parse();
  } catch (err) {
    // Node's first sentence says what is wrong ("Unknown option '--x'"); its hint about '--' does not help here.
    const what = (err as Error).message.split('. ')[0] ?? '';
    throw new UsageError(what, argv.find(isCommand));
  }
  const { values: v, positionals, tokens } = parsed;
  const [first, ...rest] = positionals;
  if (first === undefined && !v.help) throw new UsageError('a command is required');
  if (first !== undefined && !isCommand(first))
    throw new UsageError(`unknown command "${first}": one of ${COMMANDS.join(', ')}`);
  const command: Command = first ?? 'help';
  // `help start` is `start --help`.
  if (command === 'help') {
    if (rest.length > 1) throw new UsageError('help takes at most one command');
    const of = rest[0] ?? 'help';
    if (!isCommand(of)) throw new UsageError(`unknown command "${of}"`);
    return { ...defaults(of), help: true };
  }
  const takes = TAKES[command];
  for (const t of tokens)
    if (t.kind === 'option' && !takes.flags.includes(t.name as Option))
      throw new UsageError(`${command} takes no --${t.name}`, command);
  if (v.help) return { ...defaults(command), help: true };
  if (takes.name === 'none' && rest.length > 0)
    throw new UsageError(`${command} takes no arguments`, command);
  if (rest.length > 1)
    throw new UsageError(`${command} takes one NAME, not ${rest.length}`, command);
  const name = rest[0];
  if (takes.name === 'required' && name === undefined)
    throw new UsageError(`${command} needs the Trace's NAME`, command);
  if (v['all-namespaces'] && (v.namespace !== undefined || name !== undefined))
    throw new UsageError('-A lists every namespace: give no NAME and no -n with it', command);

  const inv = defaults(command);
  if (name !== undefined) inv.name = checkName('NAME', name, command);
  if (v.namespace !== undefined) inv.namespace = checkName('-n', v.namespace, command);
  inv.allNamespaces = v['all-namespaces'] ?? false;
  inv.kubeconfig = v.kubeconfig;
  inv.context = v.context;
  if (v.operator !== undefined) inv.operator = parseOperatorURL(v.operator, command);
  if (v['operator-namespace'] !== undefined)
    inv.operatorNamespace = checkName('--operator-namespace', v['operator-namespace'], command);
  if (v['operator-ca'] !== undefined) {
    if (inv.operator?.protocol !== 'https:')
      throw new UsageError('--operator-ca goes with an https --operator URL', command);
    inv.operatorCA = v['operator-ca'];
  }
  if (v.output !== undefined) {
    if (v.output !== 'table' && v.output !== 'json')
      throw new UsageError(`-o must be table or json, not "${v.output}"`, command);
    inv.output = v.output;
  }
  inv.sinceMs = v.since === undefined ? undefined : duration('--since', v.since, command);
  if (v.timeout !== undefined) inv.timeoutMs = duration('--timeout', v.timeout, command);
  if (v.port !== undefined) {
    const port = /^\d{1,5}$/.test(v.port) ? Number(v.port) : Number.NaN;
    if (!(port >= 0 && port <= 65535))
      throw new UsageError(`--port must be a port number (0 for a free one), not "${v.port}"`);
    inv.port = port;
  }
  inv.open = v.open ?? false;
  return inv;
}

function duration(flag: string, text: string, command: Command): number {
  try {
    return parseDuration(text, flag);
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (30s, 5m, 1h)`, command);
  }
}

function defaults(command: Command): Invocation {
  return {
    command,
    help: false,
    allNamespaces: false,
    output: 'table',
    port: 0,
    open: false,
    timeoutMs: 60_000,
  };
}
