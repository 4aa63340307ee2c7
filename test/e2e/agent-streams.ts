// Which operator replica follows a trace on a node, read from that node's agent's own log
// ("stream opened" / "stream closed", with the replica's id): what a user checks to see
// that no node was ever followed by two replicas at once.
export interface Followers {
  /** The replicas whose streams are open at the end of the log. */
  now: string[];
  /** The first moment two replicas had a stream open at once ("a+b"), if ever. */
  twice?: string;
}

export function followersOf(lines: readonly Record<string, unknown>[], trace: string): Followers {
  const open: string[] = [];
  let twice: string | undefined;
  for (const l of lines) {
    if (l.trace !== trace) continue;
    if (l.msg === 'stream opened') open.push(String(l.replica));
    else if (l.msg === 'stream closed') open.splice(open.indexOf(String(l.replica)), 1);
    const distinct = [...new Set(open)];
    if (distinct.length > 1) twice ??= distinct.join('+');
  }
  return { now: [...new Set(open)], ...(twice && { twice }) };
}
