// Which Host headers the operator's port answers (pure). A page on another site can
// point its own name at 127.0.0.1 (DNS rebinding) and reach a port-forward there; the
// browser then sends that site's name as Host. Answering only IP literals, localhost and
// the names in the port's certificate shuts that door.
import { isIP } from 'node:net';

export function hostAllowList(names: readonly string[]): (host: string) => boolean {
  const allowed = new Set(['localhost', ...names.map((n) => n.toLowerCase())]);
  return (host) => {
    // "name:port", "[v6]:port" or a bare name.
    const m = /^(?:\[([^\]]+)\]|([^:]+))(?::\d+)?$/.exec(host);
    const name = (m?.[1] ?? m?.[2] ?? '').toLowerCase().replace(/\.$/, '');
    return name !== '' && (isIP(name) !== 0 || allowed.has(name));
  };
}
