// Generated policies as one multi-document YAML stream for `kubectl apply -f`: the
// objects are built in a fixed key order, so the text is stable too. An address block
// the traced pods looked up by name carries those names in a comment, since a policy
// can only hold the address.
import { Document } from 'yaml';
import { runToEnd, type Steps } from '../../lib/time-slices.js';
import type { CidrBlock } from './generate.js';

/** Names per address block, at most this many in a comment (and how many more). */
const MAX_NAMES = 5;

export function policiesYaml(
  policies: readonly object[],
  blockNames: ReadonlyMap<CidrBlock, readonly string[]> = new Map(),
): string {
  return runToEnd(policiesYamlSteps(policies, blockNames));
}

/** policiesYaml as work that pauses before each policy (lib/time-slices). */
export function* policiesYamlSteps(
  policies: readonly object[],
  blockNames: ReadonlyMap<CidrBlock, readonly string[]> = new Map(),
): Steps<string> {
  const docs: string[] = [];
  for (const p of policies) {
    yield;
    // No anchors: a policy may share a list between two rules, and reviewers read each rule whole.
    const doc = new Document(p, { aliasDuplicateObjects: false });
    if (blockNames.size > 0) commentBlocks(doc, p, [], blockNames);
    docs.push(doc.toString({ lineWidth: 0 }));
  }
  return docs.join('---\n');
}

/** Puts each named block's names after its `cidr`, walking the object and its document alike. */
function commentBlocks(
  doc: Document,
  value: unknown,
  path: (string | number)[],
  blockNames: ReadonlyMap<CidrBlock, readonly string[]>,
): void {
  if (value === null || typeof value !== 'object') return;
  const names = blockNames.get(value as CidrBlock);
  if (names) {
    const node = doc.getIn([...path, 'cidr'], true) as { comment?: string | null } | undefined;
    const more = names.length > MAX_NAMES ? ` and ${names.length - MAX_NAMES} more` : '';
    if (node) node.comment = ` ${names.slice(0, MAX_NAMES).join(', ')}${more}`;
    return;
  }
  for (const [k, v] of Object.entries(value))
    commentBlocks(doc, v, [...path, Array.isArray(value) ? Number(k) : k], blockNames);
}
