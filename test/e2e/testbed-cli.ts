// The hack/testbed subcommands that write simulated nodes' and pods' objects, for
// people and scripts (hack/demo-simulated): hack/testbed runs this file once for each,
// and it runs what the e2e tests run in their own process (test/e2e/testbed.ts).
//
//   node add NAME [--ip IPV4] [--ip6 IPV6]              prints ip=, ip6=
//   node del NAME
//   pod add NS/NAME --node NODE [--label K=V]... [--owner KIND/NAME]
//                                                       prints ip=, ip6=, netns=
//   pod del NS/NAME
import { parseArgs } from 'node:util';
import { addNode, addPod, delNode, delPod } from './testbed.js';

const USAGE = `usage: hack/testbed node add NAME [--ip IPV4] [--ip6 IPV6]
       hack/testbed node del NAME
       hack/testbed pod add NS/NAME --node NODE [--label K=V]... [--owner KIND/NAME]
       hack/testbed pod del NS/NAME`;

const LABEL =
  /^([a-zA-Z0-9]([-a-zA-Z0-9_./]*[a-zA-Z0-9])?)=([a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?)?$/;

function labels(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of args) {
    if (!LABEL.test(l)) {
      throw new Error(`--label: expected KEY=VALUE with Kubernetes label characters, got '${l}'`);
    }
    const i = l.indexOf('=');
    out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

function keyValues(kv: Record<string, string | undefined>): string {
  return Object.entries(kv)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
}

async function main(argv: string[]): Promise<string> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ip: { type: 'string' },
      ip6: { type: 'string' },
      node: { type: 'string' },
      label: { type: 'string', short: 'l', multiple: true },
      owner: { type: 'string' },
    },
  });
  const [what, sub, ref, ...extra] = positionals;
  if (!ref || extra.length) throw new Error(USAGE);
  const cmd = `${what} ${sub}`;
  if (cmd === 'node add') {
    const node = await addNode(ref, { ip: v.ip, ip6: v.ip6 });
    return keyValues({ ip: node.ip, ip6: node.ip6 });
  }
  if (cmd === 'node del') {
    await delNode(ref);
    return '';
  }
  if (cmd === 'pod add') {
    if (!v.node) throw new Error(USAGE);
    const pod = await addPod(ref, { node: v.node, labels: labels(v.label ?? []), owner: v.owner });
    return keyValues({ ip: pod.ip, ip6: pod.ip6, netns: pod.netns });
  }
  if (cmd === 'pod del') {
    await delPod(ref);
    return '';
  }
  throw new Error(USAGE);
}

main(process.argv.slice(2)).then(
  (out) => process.stdout.write(out),
  (err: unknown) => {
    process.stderr.write(`testbed: error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
