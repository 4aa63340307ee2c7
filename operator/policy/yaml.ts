// Generated NetworkPolicies as one multi-document YAML stream for `kubectl apply -f`:
// the objects are built in a fixed key order, so the text is stable too.
import { stringify } from 'yaml';
import { runToEnd, type Steps } from '../../lib/time-slices.js';
import type { NetworkPolicy } from './generate.js';

export function policiesYaml(policies: readonly NetworkPolicy[]): string {
  return runToEnd(policiesYamlSteps(policies));
}

/** policiesYaml as work that pauses before each policy (lib/time-slices). */
export function* policiesYamlSteps(policies: readonly NetworkPolicy[]): Steps<string> {
  const docs: string[] = [];
  for (const p of policies) {
    yield;
    docs.push(stringify(p, { lineWidth: 0 }));
  }
  return docs.join('---\n');
}
