// The `generate` operation carried out: the trace's unique edges, read from the one
// store of a trace's edges (the history, operator/history/), and the cluster's facts
// through the generator, and the YAML delivered where the user reads it:
// status.output when it fits (256 KiB) and the trace is not writing its edges
// there, otherwise a ConfigMap `<trace>-networkpolicies` in the Trace's namespace,
// owned by the Trace, named in status.output. netgraph never applies a policy.
import { type Edge, uniqueSteps } from '../../api/edge.js';
import { parsePolicyParameters } from '../../api/policy-parameters.js';
import type { Trace, TraceStatus } from '../../api/trace.js';
import type { KubeClient } from '../../lib/kube.js';
import { NotOwnedError, writeOwnedConfigMap } from '../../lib/owned-config-map.js';
import { runInSlices } from '../../lib/time-slices.js';
import type { HistoryStore, TraceHistory } from '../history/history.js';
import { STATUS_OUTPUT_MAX_BYTES } from '../trace/status-output.js';
import { type ClusterFacts, generateSteps } from './generate.js';
import { policiesYamlSteps } from './yaml.js';

export const CONFIGMAP_KEY = 'networkpolicies.yaml';
/** A ConfigMap holds at most 1 MiB; some room is left for its metadata. */
const CONFIGMAP_MAX_BYTES = 1000 * 1024;
/** Warnings shown in status.operationWarning; the rest are counted. */
const MAX_WARNINGS = 10;

/** The unique edges of a trace `generate` reads at most (the first seen), so advice on a busy trace stays bounded. */
export const MAX_POLICY_EDGES = 20_000;

/** What the advisor reads of the history: a trace held, and how many stopped ones it keeps. */
export type TraceSource = Pick<HistoryStore, 'get' | 'keepStopped'>;

export const configMapName = (trace: string) => `${trace}-networkpolicies`;

type Status = Partial<Record<keyof TraceStatus, unknown>>;

function summary(policies: number, warnings: readonly string[]): Status {
  const shown = warnings.slice(0, MAX_WARNINGS).join('; ');
  return {
    operationError: null,
    policies,
    operationWarning:
      warnings.length === 0
        ? null
        : warnings.length > MAX_WARNINGS
          ? `${shown}; and ${warnings.length - MAX_WARNINGS} more (see the YAML's comments)`
          : shown,
  };
}

export class PolicyAdvisor {
  /**
   * The YAML each trace's last `generate` wrote, for the HTTP API. Keyed by the trace's
   * history, so it goes when the history does (Trace deleted, started afresh, or dropped
   * as the oldest stopped trace).
   */
  private readonly yaml = new WeakMap<TraceHistory, string>();

  constructor(
    private readonly kube: Pick<KubeClient, 'request' | 'jsonPatch'>,
    private readonly traces: TraceSource,
    private readonly facts: ClusterFacts,
    private readonly maxEdges = MAX_POLICY_EDGES,
    /** Every replica's edges of a trace (operator/ring/peer-client.ts); default: this one's. */
    private readonly allEdges?: (trace: string) => Promise<{ edges: Edge[]; missing: string[] }>,
  ) {}

  /** The YAML the trace's last `generate` wrote, while the trace is held. */
  advice(trace: string): string | undefined {
    const h = this.traces.get(trace);
    return h && this.yaml.get(h);
  }

  /**
   * Generates the trace's policies and delivers them; returns the status fields to set.
   * `running`: the trace is running here (in Status mode it rewrites status.output).
   */
  async generate(trace: Trace, running: boolean): Promise<Status> {
    const { namespace, name } = trace.metadata;
    const key = `${namespace}/${name}`;
    const h = this.traces.get(key);
    const gathered = this.allEdges
      ? await this.allEdges(key)
      : { edges: h?.records.map((r) => r.edge) ?? [], missing: [] };
    const held = h !== undefined || gathered.edges.length > 0;
    // One node's edge each in the history: the same pod's edge seen on two nodes counts once.
    const all = await runInSlices(uniqueSteps(gathered.edges));
    if (!held || all.length === 0)
      return {
        operationError: held
          ? 'No edges to generate NetworkPolicies from: the trace has seen no traffic yet'
          : `No edges to generate NetworkPolicies from: start the trace (the operator keeps a trace's edges from when it started it until the Trace is deleted, for the ${this.traces.keepStopped} most recently stopped traces)`,
      };
    const kept = {
      edges: all.slice(0, this.maxEdges),
      dropped: Math.max(0, all.length - this.maxEdges),
    };
    let params: ReturnType<typeof parsePolicyParameters>;
    try {
      params = parsePolicyParameters(trace.spec?.parameters);
    } catch (err) {
      return { operationError: (err as Error).message };
    }
    // In slices: the operator's HTTP server shares this event loop (/healthz, /metrics).
    const g = await runInSlices(generateSteps(kept.edges, this.facts, params, key));
    const { policies } = g;
    const kind = params.policyKind === 'cilium' ? 'CiliumNetworkPolicies' : 'NetworkPolicies';
    const warnings = [...g.warnings];
    if (kept.dropped > 0)
      warnings.unshift(
        `${kept.dropped} unique edges beyond the ${kept.edges.length} kept were not used`,
      );
    if (gathered.missing.length > 0)
      warnings.unshift(
        `partial: operator replicas ${gathered.missing.join(', ')} did not answer; their nodes' edges are not in this advice`,
      );
    const header = [
      `# ${kind} generated by netgraph from trace ${key}: ${policies.length} policies from ${kept.edges.length} unique edges.`,
      '# Review before `kubectl apply -f`; netgraph never applies them.',
      ...warnings.map((w) => `# warning: ${w}`),
    ].join('\n');
    const body = await runInSlices(policiesYamlSteps(policies, g.peerNames));
    const yaml = `${header}\n${policies.length > 0 ? '---\n' : ''}${body}`;
    if (h) this.yaml.set(h, yaml);

    const bytes = Buffer.byteLength(yaml);
    // A running trace in Status mode rewrites status.output with its edges.
    const statusMode = running && trace.spec?.outputMode === 'Status';
    if (bytes <= STATUS_OUTPUT_MAX_BYTES && !statusMode)
      return { ...summary(policies.length, warnings), output: yaml };
    if (bytes > CONFIGMAP_MAX_BYTES)
      return {
        operationError: `The ${kind} are ${bytes} bytes, more than a ConfigMap holds: narrow the trace's filter`,
      };
    try {
      await this.writeConfigMap(trace, yaml);
    } catch (err) {
      if (err instanceof NotOwnedError) return { operationError: err.message };
      throw err;
    }
    const where = `ConfigMap ${namespace}/${configMapName(name)}, key ${CONFIGMAP_KEY}`;
    if (statusMode) return summary(policies.length, [`the ${kind} are in ${where}`, ...warnings]);
    return { ...summary(policies.length, warnings), output: where };
  }

  /** Only a ConfigMap netgraph owns for this Trace: someone else's of that name stays as it is. */
  private async writeConfigMap(trace: Trace, yaml: string): Promise<void> {
    const { namespace, name, uid } = trace.metadata;
    await writeOwnedConfigMap(this.kube, {
      namespace,
      name: configMapName(name),
      // Deleted with its Trace.
      owner: uid ? { apiVersion: trace.apiVersion, kind: trace.kind, name, uid } : undefined,
      data: { [CONFIGMAP_KEY]: yaml },
    });
  }
}
