// The Trace parameters (spec.parameters) that shape the NetworkPolicies the
// `generate` operation writes; parsed the same way by validation (a bad value is
// an operationError naming it) and by the generator.

export const POLICY_PARAMETERS = [
  'policyTypes',
  'namedPorts',
  'aggregateThreshold',
  'aggregatePrefix',
  'aggregatePrefix6',
  'allowEmptyPodSelector',
  'policyKind',
] as const;

export type PolicyType = 'Ingress' | 'Egress';
/** networkpolicy: Kubernetes NetworkPolicies; cilium: CiliumNetworkPolicies (cilium.io/v2). */
export type PolicyKind = 'networkpolicy' | 'cilium';

export interface PolicyParameters {
  /** Which directions the policies restrict (default both). */
  policyTypes: PolicyType[];
  /** A Service's named target port stays a name instead of the endpoints' number. */
  namedPorts: boolean;
  /** More than this many external addresses of one family for one workload and direction are aggregated. */
  aggregateThreshold: number;
  /** The prefix length external IPv4 addresses are aggregated into. */
  aggregatePrefix: number;
  aggregatePrefix6: number;
  /** A pod with no labels but per-pod ones is selected by `podSelector: {}` (every pod of its namespace). */
  allowEmptyPodSelector: boolean;
  /** What `generate` writes; cilium allows outside peers the pods looked up by name (toFQDNs). */
  policyKind: PolicyKind;
}

export const DEFAULT_POLICY_PARAMETERS: Readonly<PolicyParameters> = {
  policyTypes: ['Ingress', 'Egress'],
  namedPorts: false,
  aggregateThreshold: 16,
  aggregatePrefix: 24,
  aggregatePrefix6: 64,
  allowEmptyPodSelector: false,
  policyKind: 'networkpolicy',
};

function bool(name: string, v: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new Error(`Invalid parameter ${name} ${JSON.stringify(v)}: must be true or false`);
}

function int(name: string, v: string, min: number, max: number): number {
  const n = /^\d{1,6}$/.test(v) ? Number(v) : Number.NaN;
  if (!(n >= min && n <= max))
    throw new Error(
      `Invalid parameter ${name} ${JSON.stringify(v.slice(0, 40))}: must be a whole number from ${min} to ${max}`,
    );
  return n;
}

/** The policy parameters of spec.parameters, defaults for those absent or empty; throws a message naming a bad one. */
export function parsePolicyParameters(params: Record<string, string> = {}): PolicyParameters {
  const p = { ...DEFAULT_POLICY_PARAMETERS };
  const get = (k: (typeof POLICY_PARAMETERS)[number]) => params[k]?.trim() || undefined;
  const types = get('policyTypes');
  if (types !== undefined) {
    const list = types.split(',').map((t) => t.trim());
    const bad = list.find((t) => t !== 'Ingress' && t !== 'Egress');
    if (bad !== undefined || new Set(list).size !== list.length)
      throw new Error(
        `Invalid parameter policyTypes ${JSON.stringify(types.slice(0, 40))}: must be Ingress, Egress or Ingress,Egress`,
      );
    p.policyTypes = (['Ingress', 'Egress'] as const).filter((t) => list.includes(t));
  }
  const named = get('namedPorts');
  if (named !== undefined) p.namedPorts = bool('namedPorts', named);
  const empty = get('allowEmptyPodSelector');
  if (empty !== undefined) p.allowEmptyPodSelector = bool('allowEmptyPodSelector', empty);
  const kind = get('policyKind');
  if (kind !== undefined) {
    if (kind !== 'networkpolicy' && kind !== 'cilium')
      throw new Error(
        `Invalid parameter policyKind ${JSON.stringify(kind.slice(0, 40))}: must be networkpolicy or cilium`,
      );
    p.policyKind = kind;
  }
  const threshold = get('aggregateThreshold');
  if (threshold !== undefined)
    p.aggregateThreshold = int('aggregateThreshold', threshold, 1, 100000);
  const prefix = get('aggregatePrefix');
  if (prefix !== undefined) p.aggregatePrefix = int('aggregatePrefix', prefix, 8, 32);
  const prefix6 = get('aggregatePrefix6');
  if (prefix6 !== undefined) p.aggregatePrefix6 = int('aggregatePrefix6', prefix6, 16, 128);
  return p;
}
