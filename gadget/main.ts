// netgraph-gadget: the gadget's command line, the one dispatcher of its three rooms.
// `local` (gadget/local/) traces this machine's network namespaces; `agent`
// (gadget/agent/) is the node agent of the operator; both sit on gadget/dataplane/.
import { errorText } from '../lib/result.js';
import { runLocal } from './local/main.js';

export const USAGE = `Usage: netgraph-gadget <command> [options]

Commands:
  local   trace network namespaces on this machine, without Kubernetes
  agent   the node agent: attaches to this node's pods for the operator

Run 'netgraph-gadget <command> --help' for a command's options.`;

/** Runs a command; returns the exit code. Errors become one line on stderr, never a stack. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'local':
        return await runLocal(rest);
      // Loaded only when asked: the agent pulls in the Kubernetes client.
      case 'agent':
        return await (await import('./agent/main.js')).runAgent(rest);
      case undefined:
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        return cmd === undefined ? 2 : 0;
      default:
        throw new Error(`unknown command "${cmd}" (try --help)`);
    }
  } catch (err) {
    process.stderr.write(`netgraph-gadget: ${errorText(err).split('\n')[0]}\n`);
    return 1;
  }
}
