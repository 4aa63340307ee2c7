// Generated NetworkPolicies as one multi-document YAML stream for `kubectl apply -f`:
// the objects are built in a fixed key order, so the text is stable too.
import { stringify } from 'yaml';
import type { NetworkPolicy } from './generate.js';

export function policiesYaml(policies: readonly NetworkPolicy[]): string {
  return policies.map((p) => stringify(p, { lineWidth: 0 })).join('---\n');
}
